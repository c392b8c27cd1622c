//! Numbers as people read them on stderr, in reports and in output files.

/// Appends an integer in decimal to a line being built.
///
/// ```
/// let mut line = b"x".to_vec();
/// mirq::numbers::push_decimal(&mut line, 1234u32);
/// assert_eq!(line, b"x1234");
/// ```
#[inline]
pub fn push_decimal(line: &mut Vec<u8>, n: impl itoa::Integer) {
    line.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// A count with thousands separators.
///
/// ```
/// assert_eq!(mirq::numbers::thousands(0), "0");
/// assert_eq!(mirq::numbers::thousands(999), "999");
/// assert_eq!(mirq::numbers::thousands(10_000), "10,000");
/// assert_eq!(mirq::numbers::thousands(1_234_567), "1,234,567");
/// ```
pub fn thousands(x: u64) -> String {
    let s = x.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Rounded to three decimals: the shares the count tables print, and
/// seconds to the millisecond.
///
/// ```
/// assert_eq!(mirq::numbers::round3(2.0 / 3.0), 0.667);
/// ```
pub fn round3(x: f64) -> f64 {
    round_to(x, 3)
}

/// Rounded to `decimals` decimals (half away from zero), as stats.json
/// records its figures.
///
/// ```
/// assert_eq!(mirq::numbers::round_to(2.0 / 3.0, 2), 0.67);
/// assert_eq!(mirq::numbers::round_to(0.123456, 4), 0.1235);
/// ```
pub fn round_to(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}

/// A fraction as a percentage with one decimal, as the detection lines
/// print it.
///
/// ```
/// assert_eq!(mirq::numbers::percent(0.0234), "2.3%");
/// ```
pub fn percent(fraction: f64) -> String {
    format!("{:.1}%", 100.0 * fraction)
}

/// Seconds of a duration, rounded to the millisecond (stats.json's timings).
pub fn seconds(d: std::time::Duration) -> f64 {
    round3(d.as_secs_f64())
}

/// A rate as people read it: three significant figures at most, with k, M
/// or G: `204.5k inserts/s`, `3.6M inserts/s`, `950 inserts/s`,
/// `2.5 directories/s` (indicatif's `{per_sec}` prints `204,465.5611/s`).
pub fn per_second(rate: f64, unit: &str) -> String {
    let r = if rate.is_finite() { rate.max(0.0) } else { 0.0 };
    // the thresholds are where rounding would print 1000 of a unit
    let number = if r < 9.95 {
        format!("{r:.1}")
    } else if r < 999.5 {
        format!("{r:.0}")
    } else if r < 999_950.0 {
        format!("{:.1}k", r / 1e3)
    } else if r < 999_950_000.0 {
        format!("{:.1}M", r / 1e6)
    } else {
        format!("{:.1}G", r / 1e9)
    };
    format!("{number} {unit}/s")
}

#[cfg(test)]
mod tests {
    use super::per_second;

    #[test]
    fn rates_read_as_people_write_them() {
        assert_eq!(per_second(204_465.561_1, "reads"), "204.5k reads/s");
        assert_eq!(per_second(3_612_000.0, "inserts"), "3.6M inserts/s");
        assert_eq!(per_second(2.5e9, "inserts"), "2.5G inserts/s");
        assert_eq!(per_second(950.4, "inserts"), "950 inserts/s");
        assert_eq!(per_second(2.54, "directories"), "2.5 directories/s");
        assert_eq!(per_second(999.7, "inserts"), "1.0k inserts/s");
        assert_eq!(per_second(999_960.0, "inserts"), "1.0M inserts/s");
        assert_eq!(per_second(0.0, "inserts"), "0.0 inserts/s");
        // indicatif's estimate before the first step
        assert_eq!(per_second(f64::NAN, "inserts"), "0.0 inserts/s");
        assert_eq!(per_second(f64::INFINITY, "inserts"), "0.0 inserts/s");
    }
}
