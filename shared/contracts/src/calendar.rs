//! Calendar dates and times of day, for what people read (the CLI, the console, reports) and for
//! monthly rules such as a card's expiry.
//!
//! The one place that turns Unix milliseconds into dates and checks that a date exists, over the
//! `time` crate: no other crate does calendar arithmetic (leap years, month lengths, days since
//! the epoch) of its own. Which offset from UTC to read a moment at is the caller's choice; this
//! module never asks the operating system.
//!
//! A store keeps the clocks of its IANA time zone (`America/Los_Angeles`): [`is_time_zone`] and
//! [`start_of_local_day_ms`] read the tz database that `jiff` bundles, the same on every machine
//! whether or not it has zoneinfo installed.

use std::fmt;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// A moment as a calendar and a clock read it at some offset from UTC, to the second, in the
/// proleptic Gregorian calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CalendarTime {
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

impl CalendarTime {
    /// The moment `at_ms` milliseconds after the Unix epoch (before it when negative), in UTC.
    pub fn utc(at_ms: i64) -> CalendarTime {
        CalendarTime::at_offset(at_ms, UtcOffset::UTC)
    }

    /// The moment `at_ms` milliseconds after the Unix epoch as read where the clocks are
    /// `offset` from UTC. Moments beyond the years -9999 to 9999 read as the first or last
    /// second of that range.
    pub fn at_offset(at_ms: i64, offset: UtcOffset) -> CalendarTime {
        let moment = moment(at_ms, offset);
        CalendarTime {
            year: i64::from(moment.year()),
            month: u32::from(u8::from(moment.month())),
            day: u32::from(moment.day()),
            hour: u32::from(moment.hour()),
            minute: u32::from(moment.minute()),
            second: u32::from(moment.second()),
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS`.
impl fmt::Display for CalendarTime {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// The first millisecond of the day holding `at_ms`, where the clocks are `offset` from UTC:
/// for a store in California the day starts at 08:00 UTC, not at midnight UTC.
pub fn start_of_day_ms(at_ms: i64, offset: UtcOffset) -> i64 {
    let midnight = moment(at_ms, offset).replace_time(Time::MIDNIGHT);
    i64::try_from(midnight.unix_timestamp_nanos() / 1_000_000).unwrap_or(at_ms)
}

/// Whether `year`-`month`-`day` exists on the calendar (2024-02-29 does, 2023-02-29 does not).
pub fn is_calendar_date(year: i64, month: u32, day: u32) -> bool {
    let (Ok(year), Ok(month), Ok(day)) =
        (i32::try_from(year), u8::try_from(month), u8::try_from(day))
    else {
        return false;
    };
    Month::try_from(month)
        .and_then(|month| Date::from_calendar_date(year, month, day))
        .is_ok()
}

/// Whether `name` is a time zone of the bundled IANA tz database (`America/Los_Angeles`, `UTC`).
pub fn is_time_zone(name: &str) -> bool {
    !name.trim().is_empty() && jiff::tz::TimeZone::get(name).is_ok()
}

/// The first millisecond of the day holding `at_ms` where the clocks keep the IANA time zone
/// `zone`, daylight saving included (a day may start at another offset than its noon has);
/// `None` for a zone the tz database does not know or a moment outside its range.
pub fn start_of_local_day_ms(at_ms: i64, zone: &str) -> Option<i64> {
    let time_zone = jiff::tz::TimeZone::get(zone).ok()?;
    let moment = jiff::Timestamp::from_millisecond(at_ms).ok()?;
    let start = moment.to_zoned_datetime(time_zone).start_of_day().ok()?;
    Some(start.timestamp().as_millisecond())
}

/// The moment `at_ms` at `offset`, held to the range `time` supports rather than refused, so
/// any number from outside (a corrupt row, a hostile reply) still prints.
fn moment(at_ms: i64, offset: UtcOffset) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_ms) * 1_000_000)
        .ok()
        .and_then(|utc| utc.checked_to_offset(offset))
        .unwrap_or_else(|| {
            let edge = if at_ms < 0 {
                PrimitiveDateTime::MIN
            } else {
                PrimitiveDateTime::MAX
            };
            edge.assume_offset(offset)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stores_day_follows_its_zone_across_the_utc_day_boundary() {
        // 2026-11-30 03:00 UTC is still 29 November in California (UTC-8 in winter) and
        // already 30 November in UTC.
        let at_ms = 1_796_007_600_000;
        assert_eq!(CalendarTime::utc(at_ms).to_string(), "2026-11-30 03:00:00");
        let california = start_of_local_day_ms(at_ms, "America/Los_Angeles");
        // 2026-11-29 00:00 at UTC-8 is 08:00 UTC.
        assert_eq!(
            california.map(|start| CalendarTime::utc(start).to_string()),
            Some("2026-11-29 08:00:00".to_owned())
        );
        assert_eq!(
            start_of_local_day_ms(at_ms, "UTC").map(|start| CalendarTime::utc(start).to_string()),
            Some("2026-11-30 00:00:00".to_owned())
        );
        // New York (UTC-5) has passed midnight at 05:00 UTC, not before.
        assert_eq!(
            start_of_local_day_ms(at_ms, "America/New_York")
                .map(|start| CalendarTime::utc(start).to_string()),
            Some("2026-11-29 05:00:00".to_owned())
        );
        // In summer California is UTC-7: the day starts at 07:00 UTC.
        let summer_ms = 1_782_795_600_000; // 2026-06-30 05:00 UTC
        assert_eq!(
            start_of_local_day_ms(summer_ms, "America/Los_Angeles")
                .map(|start| CalendarTime::utc(start).to_string()),
            Some("2026-06-29 07:00:00".to_owned())
        );
        assert_eq!(start_of_local_day_ms(at_ms, "Mars/Olympus_Mons"), None);
    }

    #[test]
    fn time_zones_are_iana_names() {
        for zone in [
            "America/Los_Angeles",
            "America/New_York",
            "America/Chicago",
            "UTC",
        ] {
            assert!(is_time_zone(zone), "{zone}");
        }
        for zone in [
            "",
            " ",
            "Mars/Olympus_Mons",
            "PST8PDT-nonsense",
            "../etc/passwd",
        ] {
            assert!(!is_time_zone(zone), "{zone:?}");
        }
    }

    fn pacific_standard() -> UtcOffset {
        UtcOffset::from_hms(-8, 0, 0).expect("eight hours is within an offset's range")
    }

    #[test]
    fn dates_follow_the_calendar_across_leap_days_and_the_epoch() {
        let date = |days: i64| {
            let moment = CalendarTime::utc(days * DAY_MS);
            (moment.year, moment.month, moment.day)
        };
        assert_eq!(date(0), (1970, 1, 1));
        assert_eq!(date(-1), (1969, 12, 31));
        assert_eq!(date(11_016), (2000, 2, 29));
        assert_eq!(date(11_017), (2000, 3, 1));
        assert_eq!(date(20_787), (2026, 11, 30));
    }

    #[test]
    fn a_moment_prints_as_date_and_time() {
        assert_eq!(CalendarTime::utc(0).to_string(), "1970-01-01 00:00:00");
        assert_eq!(
            CalendarTime::utc(1_798_761_599_000).to_string(),
            "2026-12-31 23:59:59"
        );
        assert_eq!(CalendarTime::utc(-1_000).to_string(), "1969-12-31 23:59:59");
    }

    #[test]
    fn late_on_a_utc_day_is_the_previous_day_eight_hours_west() {
        // 2026-11-30 23:30:00 UTC is 15:30 on the 30th in California, 04:30 UTC on the 1st is
        // still the 30th there.
        let late = 1_796_081_400_000;
        let early_next = late + 5 * 3_600_000;
        assert_eq!(
            CalendarTime::at_offset(late, pacific_standard()).to_string(),
            "2026-11-30 15:30:00"
        );
        assert_eq!(
            CalendarTime::at_offset(early_next, pacific_standard()).to_string(),
            "2026-11-30 20:30:00"
        );
        assert_eq!(CalendarTime::utc(early_next).day, 1);
    }

    #[test]
    fn a_day_starts_at_local_midnight() {
        // 2026-12-01 04:30 UTC: the UTC day began at 00:00 UTC, the Californian one at
        // 2026-11-30 08:00 UTC.
        let at = 1_796_099_400_000;
        assert_eq!(start_of_day_ms(at, UtcOffset::UTC), 1_796_083_200_000);
        assert_eq!(
            start_of_day_ms(at, pacific_standard()),
            1_796_083_200_000 - 16 * 3_600_000
        );
    }

    #[test]
    fn only_real_dates_exist() {
        assert!(is_calendar_date(2024, 2, 29));
        assert!(is_calendar_date(2000, 2, 29));
        assert!(is_calendar_date(2024, 12, 31));
        assert!(!is_calendar_date(2023, 2, 29));
        assert!(!is_calendar_date(1900, 2, 29));
        assert!(!is_calendar_date(2024, 4, 31));
        assert!(!is_calendar_date(2024, 13, 1));
        assert!(!is_calendar_date(2024, 0, 1));
        assert!(!is_calendar_date(2024, 1, 0));
        assert!(!is_calendar_date(i64::MAX, 1, 1));
    }

    #[test]
    fn moments_out_of_range_print_without_panic() {
        assert_eq!(CalendarTime::utc(i64::MAX).year, 9999);
        assert_eq!(CalendarTime::utc(i64::MIN).year, -9999);
        let _ = start_of_day_ms(i64::MAX, pacific_standard());
        let _ = start_of_day_ms(i64::MIN, pacific_standard());
    }
}
