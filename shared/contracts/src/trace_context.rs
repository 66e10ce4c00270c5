//! W3C trace context (`traceparent`, version 00) as it crosses NATS in the
//! [`headers::TRACEPARENT`](crate::headers::TRACEPARENT) header: the console starts a trace per
//! request, every hop continues it, and every event carries the trace of the command that made
//! it. This is the plain data and its text form; the runtime maps it onto its tracing spans.

use std::fmt;

use rand_core::{OsRng, RngCore};

/// The length of a version 00 `traceparent`: `00-<32 hex>-<16 hex>-<2 hex>`.
const TEXT_LENGTH: usize = 55;

/// The sampled flag: the caller records this trace.
pub const SAMPLED: u8 = 0x01;

/// One span's place in a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceParent {
    /// The trace every span of one user action shares; never all zeros.
    pub trace_id: [u8; 16],
    /// The span that sent the message; never all zeros.
    pub span_id: [u8; 8],
    /// Trace flags ([`SAMPLED`]).
    pub flags: u8,
}

impl TraceParent {
    /// Reads a `traceparent` header value; `None` unless it is a well-formed version 00 value
    /// with non-zero IDs (a malformed one is dropped, as the W3C recommendation says, and the
    /// receiver starts a new trace).
    pub fn parse(text: &str) -> Option<TraceParent> {
        let bytes = text.as_bytes();
        if bytes.len() != TEXT_LENGTH
            || !text.starts_with("00-")
            || bytes[35] != b'-'
            || bytes[52] != b'-'
        {
            return None;
        }
        let mut trace_id = [0_u8; 16];
        let mut span_id = [0_u8; 8];
        let mut flags = [0_u8; 1];
        decode_hex(&bytes[3..35], &mut trace_id)?;
        decode_hex(&bytes[36..52], &mut span_id)?;
        decode_hex(&bytes[53..55], &mut flags)?;
        let parsed = TraceParent {
            trace_id,
            span_id,
            flags: flags[0],
        };
        parsed.is_valid().then_some(parsed)
    }

    /// A new sampled trace with a random trace and span ID: where a user action begins.
    pub fn new_root() -> TraceParent {
        let mut bytes = [0_u8; 24];
        // Without randomness a constant still forms a valid, if unhelpful, trace.
        if OsRng.try_fill_bytes(&mut bytes).is_err() {
            bytes = [1; 24];
        }
        let mut trace_id = [0_u8; 16];
        let mut span_id = [0_u8; 8];
        trace_id.copy_from_slice(&bytes[..16]);
        span_id.copy_from_slice(&bytes[16..]);
        TraceParent {
            trace_id,
            span_id,
            flags: SAMPLED,
        }
    }

    /// Whether both IDs are non-zero, as the recommendation requires.
    pub fn is_valid(&self) -> bool {
        self.trace_id != [0; 16] && self.span_id != [0; 8]
    }

    /// The trace ID as 32 lowercase hex digits, as log lines and tracing back ends show it.
    pub fn trace_id_hex(&self) -> String {
        self.text().trace_id().to_owned()
    }

    /// The span ID as 16 lowercase hex digits.
    pub fn span_id_hex(&self) -> String {
        self.text().span_id().to_owned()
    }

    /// The `traceparent` text, built on the stack without an allocation: a log line writes
    /// its IDs' slices as they are.
    pub fn text(&self) -> TraceParentText {
        let mut text = *b"00-00000000000000000000000000000000-0000000000000000-00";
        encode_hex(&self.trace_id, &mut text[TRACE_ID]);
        encode_hex(&self.span_id, &mut text[SPAN_ID]);
        encode_hex(&[self.flags], &mut text[53..TEXT_LENGTH]);
        TraceParentText(text)
    }
}

/// Where the trace ID's hex digits are in a `traceparent`.
const TRACE_ID: std::ops::Range<usize> = 3..35;
/// Where the span ID's hex digits are in a `traceparent`.
const SPAN_ID: std::ops::Range<usize> = 36..52;

/// A `traceparent` as text, with its trace and span IDs' digits as slices of it.
#[derive(Clone, Copy)]
pub struct TraceParentText([u8; TEXT_LENGTH]);

impl TraceParentText {
    /// The whole value.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits and dashes are ever written into it.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The trace ID's 32 hex digits.
    pub fn trace_id(&self) -> &str {
        &self.as_str()[TRACE_ID]
    }

    /// The span ID's 16 hex digits.
    pub fn span_id(&self) -> &str {
        &self.as_str()[SPAN_ID]
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.text().as_str())
    }
}

/// Writes `bytes` as lowercase hex into `out`, two digits a byte.
fn encode_hex(bytes: &[u8], out: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (byte, pair) in bytes.iter().zip(out.chunks_exact_mut(2)) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0x0f)];
    }
}

/// Lowercase hex only: the recommendation forbids uppercase.
fn decode_hex(text: &[u8], out: &mut [u8]) -> Option<()> {
    let digit = |byte: u8| match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        _ => None,
    };
    for (pair, slot) in text.chunks_exact(2).zip(out.iter_mut()) {
        *slot = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_well_formed_value_reads_and_prints_back() {
        let parsed = TraceParent::parse(EXAMPLE).expect("parses");
        assert_eq!(parsed.flags, SAMPLED);
        assert_eq!(parsed.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(parsed.span_id_hex(), "00f067aa0ba902b7");
        assert_eq!(parsed.to_string(), EXAMPLE);
    }

    #[test]
    fn malformed_values_are_dropped() {
        for bad in [
            "",
            "00-x-y-01",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00+4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceParent::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_new_root_is_valid_sampled_and_fresh() {
        let first = TraceParent::new_root();
        let second = TraceParent::new_root();
        assert!(first.is_valid());
        assert_eq!(first.flags, SAMPLED);
        assert_ne!(first.trace_id, second.trace_id);
        assert_eq!(TraceParent::parse(&first.to_string()), Some(first));
    }
}
