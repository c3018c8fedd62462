//! The two handles an [`crate::Endpoint`] deals in.

/// One virtual router inside an [`crate::Endpoint`]: a typed slab index. The slot of a
/// removed instance is given to the next one added, so tables stop growing at the peak
/// number of live instances; drain the events of a removed instance before adding another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceId(pub usize);

impl InstanceId {
    /// The slab index.
    pub fn index(self) -> usize {
        self.0
    }
}

impl core::fmt::Display for InstanceId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The caller's name for an interface (on Linux, its ifindex). The endpoint only compares
/// them: adverts are told apart by (interface, family, VRID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InterfaceId(pub u32);
