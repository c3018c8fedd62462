//! One counter table: a struct of `u64` counters declared once, with each counter's name,
//! help text and RFC name, iterable as (counter, value) so that every output (status JSON,
//! Prometheus, the SIGUSR1 dump) shows the same counters under the same names.
//!
//! ```
//! vrrp_fsm::counter_table! {
//!     /// Things that went wrong.
//!     #[derive(Debug, Default)]
//!     pub struct Oops (suffix "_errors") {
//!         /// Sending failed.
//!         send,
//!         /// A checksum did not match.
//!         checksum rfc "RFC 8347 checksum-errors",
//!         /// Retries waiting now.
//!         retry: gauge,
//!     }
//! }
//! let mut o = Oops::default();
//! o.send += 2;
//! let all: Vec<_> = o.counters().map(|(c, v)| (c.name, c.help, v)).collect();
//! assert_eq!(all[0], ("send_errors", "Sending failed.", 2));
//! assert_eq!(all[1].0, "checksum_errors");
//! assert_eq!(Oops::COUNTERS[1].rfc, Some("RFC 8347 checksum-errors"));
//! assert!(!Oops::COUNTERS[1].gauge && Oops::COUNTERS[2].gauge);
//! ```

/// One counter of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterInfo {
    /// Its one name in every output: the field's name, between the table's prefix and suffix
    /// if it has them.
    /// Outputs may add a prefix or suffix of their own (Prometheus: `vrrp_instance_`, `_total`).
    pub name: &'static str,
    /// What it counts (the field's doc comment, its lines joined).
    pub help: &'static str,
    /// The RFC object it implements, where there is one.
    pub rfc: Option<&'static str>,
    /// A level that goes up and down (connections open now), not a count of events.
    pub gauge: bool,
}

/// A struct [`counter_table!`](crate::counter_table!) made: its counters and their values, in declaration order.
pub trait CounterTable {
    /// The counters, in declaration order.
    const COUNTERS: &'static [CounterInfo];

    /// Each counter with its value, in declaration order.
    fn counters(&self) -> impl Iterator<Item = (&'static CounterInfo, u64)>;
}

/// Declare a counter table: a struct with one `pub u64` field per entry (documented by the
/// entry's doc comment), its [`CounterTable`] implementation, and an inherent `counters()`.
///
/// Each entry is a doc comment (its lines joined make the help text) then `field`, optionally
/// followed, in this order, by `: gauge` (a level, not a count), `= Variant` and
/// `rfc "RFC name"`. After the struct name, in parentheses and in this order, all optional:
/// - `prefix "p_"`, `suffix "_s"`: the same words before or after every counter's name (a
///   table of `send` and `netlink` errors names them `send_errors` and `netlink_errors`);
/// - `counts Enum`: the table counts what the enum `Enum` (in scope, usually vrrp-proto's
///   `RouterCounter` or `GlobalCounter`) names; each entry with `= Variant` is the counter of
///   `Enum::Variant`, and `lookup(c)` / `lookup_mut(c)` find it (`None`: not in this table).
#[macro_export]
macro_rules! counter_table {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident
            $(( $(prefix $p:literal)? $(suffix $s:literal)? $(counts $e:ident)? ))?
        {
            $($body:tt)*
        }
    ) => {
        $crate::counter_table! {
            @table ($($($p)?)?) ($($($s)?)?) ($($($e)?)?)
            $(#[$meta])* $vis struct $name { $($body)* }
        }
    };
    (
        @table $prefix:tt $suffix:tt $enum:tt
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[doc = $help:literal])+
                $field:ident $(: $kind:ident)? $(= $variant:ident)? $(rfc $rfc:literal)?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $(
                $(#[doc = $help])+
                $(#[doc = ""] #[doc = $rfc])?
                pub $field: u64,
            )*
        }

        impl $crate::counter_table::CounterTable for $name {
            const COUNTERS: &'static [$crate::counter_table::CounterInfo] = &[
                $(
                    $crate::counter_table::CounterInfo {
                        name: $crate::counter_table!(@name $prefix $field $suffix),
                        help: concat!($($help),+).trim_ascii(),
                        rfc: $crate::counter_table!(@rfc $($rfc)?),
                        gauge: $crate::counter_table!(@gauge $($kind)?),
                    },
                )*
            ];

            fn counters(&self) -> impl Iterator<Item = (&'static $crate::counter_table::CounterInfo, u64)> {
                <Self as $crate::counter_table::CounterTable>::COUNTERS
                    .iter()
                    .zip([$(self.$field),*])
            }
        }

        impl $name {
            /// Each counter with its value, in declaration order.
            pub fn counters(&self) -> impl Iterator<Item = (&'static $crate::counter_table::CounterInfo, u64)> + '_ {
                <Self as $crate::counter_table::CounterTable>::counters(self)
            }

            /// The counters, in declaration order.
            pub const COUNTERS: &'static [$crate::counter_table::CounterInfo] =
                <Self as $crate::counter_table::CounterTable>::COUNTERS;
        }

        $crate::counter_table!(@lookup $enum $name [$($field ($($variant)?))*]);
    };
    (@lookup () $name:ident [$($field:ident ($($variant:ident)?))*]) => {};
    (@lookup ($enum:ident) $name:ident [$($field:ident ($($variant:ident)?))*]) => {
        impl $name {
            /// The counter `c` names, if this table has it.
            #[allow(unreachable_patterns)]
            pub fn lookup(&self, c: $enum) -> Option<u64> {
                match c {
                    $($($enum::$variant => Some(self.$field),)?)*
                    _ => None,
                }
            }

            /// The counter `c` names, to change it, if this table has it.
            #[allow(unreachable_patterns)]
            pub fn lookup_mut(&mut self, c: $enum) -> Option<&mut u64> {
                match c {
                    $($($enum::$variant => Some(&mut self.$field),)?)*
                    _ => None,
                }
            }
        }
    };
    (@name ($($p:literal)?) $field:ident ($($s:literal)?)) => {
        concat!($($p,)? stringify!($field) $(, $s)?)
    };
    (@gauge) => { false };
    (@gauge gauge) => { true };
    (@rfc) => { None };
    (@rfc $rfc:literal) => { Some($rfc) };
}
