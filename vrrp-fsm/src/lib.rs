//! Pure VRRP state machine (issue 4).
