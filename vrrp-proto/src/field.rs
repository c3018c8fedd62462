//! Field offsets of the VRRP header (RFC 3768 §5.1, RFC 9568 §5.1). The only place that
//! knows byte positions.
