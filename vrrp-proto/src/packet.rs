//! [`VrrpPacket`]: zero-copy view over a VRRP message.

/// A view over the bytes of a VRRP message (the IP payload). Construct with
/// [`VrrpPacket::new_checked`]; accessors never panic afterwards.
#[derive(Debug, Clone)]
pub struct VrrpPacket<T: AsRef<[u8]> + ?Sized> {
    buffer: T,
}

impl<T: AsRef<[u8]>> VrrpPacket<T> {
    /// Wrap without checking. Accessors may panic on a short buffer; prefer `new_checked`.
    pub const fn new_unchecked(buffer: T) -> VrrpPacket<T> {
        VrrpPacket { buffer }
    }
    /// The underlying bytes.
    pub fn into_inner(self) -> T {
        self.buffer
    }
}
