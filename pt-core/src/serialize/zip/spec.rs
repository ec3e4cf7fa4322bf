//! Zip record signatures, shared by the reader and the writer.

/// Local file header.
pub(crate) const LOCAL_SIG: u32 = 0x0403_4b50;
/// Central directory file header.
pub(crate) const CENTRAL_SIG: u32 = 0x0201_4b50;
/// Zip64 end of central directory record.
pub(crate) const EOCD64_SIG: u32 = 0x0606_4b50;
/// Zip64 end of central directory locator.
pub(crate) const LOCATOR_SIG: u32 = 0x0706_4b50;
/// End of central directory record.
pub(crate) const EOCD_SIG: u32 = 0x0605_4b50;
