//! How values read on screen: money, times, IDs and states, each in one place so every screen
//! writes them alike. Pure functions, no IO. Times and the day read at an offset from UTC, the
//! one the app holds (`App::utc_offset`, the local one in a real console).

use bikestore_contracts::Cents;
use bikestore_contracts::calendar::{self, CalendarTime};
use bikestore_contracts::orders::OrderStatus;
use bikestore_contracts::sagas::{Outcome, Phase, SagaState};
use time::UtcOffset;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Money as the shop writes it: `$1,234.56`.
pub fn money(amount: Cents) -> String {
    let plain = amount.to_string();
    let (sign, digits) = match plain.strip_prefix('-') {
        Some(rest) => ("-", rest.to_owned()),
        None => ("", plain),
    };
    let (units, fraction) = digits.split_once('.').unwrap_or((digits.as_str(), "00"));
    let mut grouped = String::new();
    for (index, digit) in units.chars().enumerate() {
        if index > 0 && (units.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}${grouped}.{fraction}")
}

/// The start of the day holding `at_ms` where the clocks are `offset` from UTC: the store's
/// "today".
pub fn start_of_day_ms(at_ms: i64, offset: UtcOffset) -> i64 {
    calendar::start_of_day_ms(at_ms, offset)
}

/// The start of the day holding `at_ms` in the IANA time zone `zone` (a store's), daylight
/// saving included; `None` for a zone the tz database does not know.
pub fn start_of_zone_day_ms(at_ms: i64, zone: &str) -> Option<i64> {
    calendar::start_of_local_day_ms(at_ms, zone)
}

/// A moment as `YYYY-MM-DD HH:MM` where the clocks are `offset` from UTC.
pub fn date_time(at_ms: i64, offset: UtcOffset) -> String {
    let moment = CalendarTime::at_offset(at_ms, offset);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        moment.year, moment.month, moment.day, moment.hour, moment.minute
    )
}

/// A moment as `HH:MM:SS` where the clocks are `offset` from UTC, for histories within a day.
pub fn clock(at_ms: i64, offset: UtcOffset) -> String {
    let moment = CalendarTime::at_offset(at_ms, offset);
    format!(
        "{:02}:{:02}:{:02}",
        moment.hour, moment.minute, moment.second
    )
}

/// An order status as a word.
pub fn order_status(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Pending => "pending",
        OrderStatus::Processing => "processing",
        OrderStatus::Rejected => "rejected",
        OrderStatus::Completed => "completed",
        OrderStatus::Cancelled => "cancelled",
    }
}

/// A saga state as a word.
pub fn saga_state(state: SagaState) -> &'static str {
    state.as_str()
}

/// A history entry's outcome as a mark and a word.
pub fn outcome(outcome: Outcome) -> (&'static str, &'static str) {
    match outcome {
        Outcome::Succeeded => ("✓", "done"),
        Outcome::Failed => ("✗", "failed"),
        Outcome::Retrying => ("↻", "retrying"),
        Outcome::Skipped => ("-", "skipped"),
    }
}

/// Whether a history entry ran the step or undid it.
pub fn phase(phase: Phase) -> &'static str {
    match phase {
        Phase::Action => "do",
        Phase::Compensation => "undo",
    }
}

/// A step name for people: `reserve_stock` reads `reserve stock`.
pub fn step_name(step: &str) -> String {
    step.replace('_', " ")
}

/// As much of `text` as fits `width` terminal columns, with `…` when cut, so long names never
/// break a row. Columns are counted as the terminal prints them: a CJK character or an emoji
/// takes two.
pub fn truncate(text: &str, width: usize) -> String {
    if UnicodeWidthStr::width(text) <= width {
        return text.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let room = width - 1;
    let mut used = 0;
    let mut cut = String::new();
    for character in text.chars() {
        used += UnicodeWidthChar::width(character).unwrap_or(0);
        if used > room {
            break;
        }
        cut.push(character);
    }
    cut.push('…');
    cut
}

/// A saga ID shortened for lists: its last 10 characters, where ULIDs and digests differ.
pub fn short_id(id: &str) -> String {
    let count = id.chars().count();
    if count <= 10 {
        return id.to_owned();
    }
    id.chars().skip(count - 10).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_groups_thousands_and_keeps_the_sign() {
        assert_eq!(money(Cents(0)), "$0.00");
        assert_eq!(money(Cents(5)), "$0.05");
        assert_eq!(money(Cents(123_456)), "$1,234.56");
        assert_eq!(money(Cents(100_000_000)), "$1,000,000.00");
        assert_eq!(money(Cents(-26_999)), "-$269.99");
    }

    #[test]
    fn dates_read_in_utc_at_no_offset() {
        let utc = UtcOffset::UTC;
        assert_eq!(date_time(0, utc), "1970-01-01 00:00");
        // 2026-11-30 09:34:56 UTC.
        assert_eq!(date_time(1_796_031_296_000, utc), "2026-11-30 09:34");
        assert_eq!(clock(1_796_031_296_000, utc), "09:34:56");
        assert_eq!(date_time(951_782_400_000, utc), "2000-02-29 00:00");
        assert_eq!(start_of_day_ms(1_796_031_296_000, utc), 1_795_996_800_000);
    }

    #[test]
    fn late_on_a_utc_day_is_still_the_day_before_in_california() {
        let pacific = UtcOffset::from_hms(-8, 0, 0).expect("eight hours is a valid offset");
        // 2026-12-01 04:30:00 UTC: already the 1st in UTC, 20:30 on the 30th eight hours west.
        let at = 1_796_099_400_000;
        assert_eq!(date_time(at, UtcOffset::UTC), "2026-12-01 04:30");
        assert_eq!(date_time(at, pacific), "2026-11-30 20:30");
        assert_eq!(clock(at, pacific), "20:30:00");
        // So "today" began at 2026-11-30 00:00 local, 08:00 UTC, not at 2026-12-01 00:00 UTC.
        assert_eq!(start_of_day_ms(at, pacific), 1_796_025_600_000);
        assert_eq!(start_of_day_ms(at, UtcOffset::UTC), 1_796_083_200_000);
    }

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(truncate("Trek Fuel EX 8", 20), "Trek Fuel EX 8");
        assert_eq!(truncate("Trek Fuel EX 8", 6), "Trek …");
        assert_eq!(truncate("anything", 0), "");
        // Two columns a character: four fit in nine, with the mark.
        assert_eq!(truncate("自転車店サンタクルーズ", 9), "自転車店…");
        assert_eq!(truncate("自転車店", 8), "自転車店");
        assert_eq!(truncate("自転車店", 4), "自…");
        assert_eq!(short_id("01JD5Z3Y8K2M4N6P7Q9R0S1T2V"), "P7Q9R0S1T2V"[1..]);
    }
}
