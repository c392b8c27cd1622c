//! Numbers as people read them on stderr and in reports.

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
    (x * 1000.0).round() / 1000.0
}

/// Seconds of a duration, rounded to the millisecond (stats.json's timings).
pub fn seconds(d: std::time::Duration) -> f64 {
    round3(d.as_secs_f64())
}
