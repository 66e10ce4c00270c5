//! UTC calendar dates from Unix time, for what people read (the CLI, the console, reports) and
//! for monthly rules such as a card's expiry, without a date crate for one conversion.

use std::fmt;

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// A moment in UTC, to the second, in the proleptic Gregorian calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcTime {
    /// The year (negative before year 0).
    pub year: i64,
    /// The month, 1 to 12.
    pub month: u32,
    /// The day of the month, 1 to 31.
    pub day: u32,
    /// The hour, 0 to 23.
    pub hour: u32,
    /// The minute, 0 to 59.
    pub minute: u32,
    /// The second, 0 to 59.
    pub second: u32,
}

impl UtcTime {
    /// The moment `ms` milliseconds after the Unix epoch (before it when negative).
    pub fn from_ms(ms: i64) -> UtcTime {
        let (year, month, day) = civil_date(ms.div_euclid(DAY_MS));
        let second_of_day = ms.rem_euclid(DAY_MS) / 1000;
        // The remainders are below a day, so each part fits a u32.
        let part = |value: i64| u32::try_from(value).unwrap_or(0);
        UtcTime {
            year,
            month,
            day,
            hour: part(second_of_day / 3600),
            minute: part(second_of_day / 60 % 60),
            second: part(second_of_day % 60),
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS`.
impl fmt::Display for UtcTime {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// The (year, month, day) of a day count since 1970-01-01, after Howard Hinnant's
/// `civil_from_days`.
pub fn civil_date(days_since_epoch: i64) -> (i64, u32, u32) {
    let shifted = days_since_epoch + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // month_index is 0..=11 and day_of_year 0..=365, so both fit a u32.
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_the_calendar_across_leap_days_and_the_epoch() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(-1), (1969, 12, 31));
        assert_eq!(civil_date(11_016), (2000, 2, 29));
        assert_eq!(civil_date(11_017), (2000, 3, 1));
        assert_eq!(civil_date(20_787), (2026, 11, 30));
    }

    #[test]
    fn a_moment_prints_as_date_and_time() {
        assert_eq!(UtcTime::from_ms(0).to_string(), "1970-01-01 00:00:00");
        assert_eq!(
            UtcTime::from_ms(1_798_761_599_000).to_string(),
            "2026-12-31 23:59:59"
        );
        assert_eq!(UtcTime::from_ms(-1_000).to_string(), "1969-12-31 23:59:59");
    }
}
