//! A tiny deterministic generator (splitmix64), so the benchmark needs no random-number crate
//! and the same run draws the same orders.

/// splitmix64: fast, well mixed, and enough for picking orders.
#[derive(Debug, Clone)]
pub struct SplitMix {
    state: u64,
}

impl SplitMix {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> SplitMix {
        SplitMix { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.state)
    }

    /// A number below `bound` (which must be positive).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound.max(1)
    }
}

/// The splitmix64 finaliser: a well-mixed hash of one number.
pub fn mix(value: u64) -> u64 {
    let mut mixed = value;
    mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    mixed ^ (mixed >> 31)
}

/// A uniform fraction in [0, 1) derived from `value`.
pub fn fraction(value: u64) -> f64 {
    (mix(value) >> 11) as f64 / (1u64 << 53) as f64
}
