//! The graphics backends wgpu may use: `WGPU_BACKEND`, wgpu's own
//! variable, read once and checked. wgpu skips a name it does not know and
//! then finds no adapter, so `WGPU_BACKEND=bogus` would quietly mean "no
//! GPU"; here an unknown name is an error that lists the names wgpu knows.

use std::ffi::OsStr;
use std::sync::OnceLock;

use crate::error::{Error, Result};

/// The names wgpu 30 reads in `WGPU_BACKEND` (`Backends::from_comma_list`),
/// case-insensitive.
const NAMES: [(&str, wgpu::Backends); 11] = [
    ("vulkan", wgpu::Backends::VULKAN),
    ("vk", wgpu::Backends::VULKAN),
    ("metal", wgpu::Backends::METAL),
    ("mtl", wgpu::Backends::METAL),
    ("dx12", wgpu::Backends::DX12),
    ("d3d12", wgpu::Backends::DX12),
    ("gl", wgpu::Backends::GL),
    ("gles", wgpu::Backends::GL),
    ("opengl", wgpu::Backends::GL),
    ("webgpu", wgpu::Backends::BROWSER_WEBGPU),
    ("noop", wgpu::Backends::NOOP),
];

/// What the accepted values are, for the error.
const ACCEPTED: &str = "wgpu's variable takes a comma-separated list of vulkan (or vk), \
    metal (mtl), dx12 (d3d12), gl (gles, opengl), webgpu, noop; unset, mirq uses \
    vulkan, metal and dx12";

/// Why a `WGPU_BACKEND` value is refused, then what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadBackend {
    #[error("not UTF-8; {ACCEPTED}")]
    NotUtf8,
    #[error("'{0}' is not a backend; {ACCEPTED}")]
    Unknown(String),
    #[error("it names no backend; {ACCEPTED}")]
    Empty,
}

/// `WGPU_BACKEND` as read at the first call: the backends it names (the
/// primary ones, Vulkan, Metal and DX12, when it is unset), or the error
/// ([`Error::InvalidValue`]) naming its value. Every later call gives the
/// same answer.
pub fn backends() -> Result<wgpu::Backends> {
    static CHOSEN: OnceLock<std::result::Result<wgpu::Backends, (String, BadBackend)>> =
        OnceLock::new();
    CHOSEN
        .get_or_init(|| parse(std::env::var_os("WGPU_BACKEND").as_deref()))
        .clone()
        .map_err(|(value, why)| Error::InvalidValue {
            what: "WGPU_BACKEND",
            value,
            message: why.to_string(),
        })
}

/// The backends a `WGPU_BACKEND` value names, or (value, why not).
fn parse(value: Option<&OsStr>) -> std::result::Result<wgpu::Backends, (String, BadBackend)> {
    let Some(value) = value else {
        return Ok(wgpu::Backends::PRIMARY);
    };
    let shown = value.to_string_lossy().into_owned();
    let Some(text) = value.to_str() else {
        return Err((shown, BadBackend::NotUtf8));
    };
    let mut chosen = wgpu::Backends::empty();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let lower = name.to_lowercase();
        match NAMES.iter().find(|(known, _)| *known == lower) {
            Some((_, backend)) => chosen |= *backend,
            None => return Err((shown, BadBackend::Unknown(name.to_string()))),
        }
    }
    if chosen.is_empty() {
        return Err((shown, BadBackend::Empty));
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(value: &str) -> std::result::Result<wgpu::Backends, String> {
        parse(Some(OsStr::new(value))).map_err(|(_, why)| why.to_string())
    }

    #[test]
    fn wgpu_names_are_read_as_wgpu_reads_them() {
        assert_eq!(parse(None), Ok(wgpu::Backends::PRIMARY));
        assert_eq!(parsed("vulkan"), Ok(wgpu::Backends::VULKAN));
        assert_eq!(
            parsed(" GL, Vk ,"),
            Ok(wgpu::Backends::GL | wgpu::Backends::VULKAN)
        );
        for (name, backend) in NAMES {
            assert_eq!(
                wgpu::Backends::from_comma_list(name),
                backend,
                "{name}: wgpu reads it otherwise"
            );
            assert_eq!(parsed(name), Ok(backend));
        }
    }

    #[test]
    fn unknown_or_empty_values_are_refused() {
        let why = parsed("vulkan,bogus").unwrap_err();
        assert!(why.starts_with("'bogus' is not a backend"), "{why}");
        assert!(why.contains("vulkan (or vk), metal"), "{why}");
        assert!(parsed("").unwrap_err().starts_with("it names no backend"));
        assert!(parsed(" , ").is_err());
    }
}
