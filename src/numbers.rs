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
