//! keepalived keywords vrrpd reads and does not apply: those of keepalived's other
//! processes (email alerts, LVS, checkers, BFD), and those of its VRRP side that have no
//! meaning here; each is warned about at its line, never dropped in silence.

/// keepalived keywords of its email alerts, LVS and checker processes: they mean nothing to a
/// VRRP-only daemon, and each line is warned about ("not applicable to vrrpd").
pub const NOT_APPLICABLE_GLOBAL: &[&str] = &[
    "notification_email",
    "notification_email_from",
    "smtp_server",
    "smtp_connect_timeout",
    "smtp_helo_name",
    "smtp_alert",
    "smtp_alert_vrrp",
    "smtp_alert_checker",
    "no_email_faults",
    "no_checker_emails",
    "lvs_id",
    "lvs_flush",
    "lvs_flush_onstop",
    "lvs_flush_on_stop",
    "lvs_sync_daemon",
    "lvs_timeouts",
    "lvs_process_name",
    "lvs_notify_fifo",
    "lvs_notify_fifo_script",
    "nftables_ipvs",
    "nftables_ipvs_priority",
    "nftables_ipvs_start_fwmark",
    "checker_process_name",
    "checker_priority",
    "checker_no_swap",
    "checker_rt_priority",
    "checker_cpu_affinity",
    "checker_rlimit_rttime",
    "checker_rlimit_rtime",
    "checker_log_all_failures",
    "rs_init_notifies",
    "bfd_process_name",
    "bfd_priority",
    "bfd_no_swap",
    "bfd_rt_priority",
    "bfd_cpu_affinity",
    "bfd_rlimit_rttime",
    "bfd_rlimit_rtime",
];

const FIREWALL: &str =
    "vrrpd installs no firewall rules (no_accept and strict mode do not filter the VIPs' traffic)";

/// keepalived keywords of `global_defs` vrrpd reads but does not apply, with why (warned
/// at their line).
pub const NOT_APPLIED_GLOBAL: &[(&str, &str)] = &[
    ("vrrp_iptables", FIREWALL),
    ("vrrp_ipsets", FIREWALL),
    ("nftables", FIREWALL),
    ("nftables_priority", FIREWALL),
    ("nftables_ifindex", FIREWALL),
    ("nftables_counters", FIREWALL),
    ("vrrp_priority", "vrrpd does not set its own scheduling priority: set it in the service (Nice=)"),
    ("vrrp_rt_priority", "vrrpd does not set its own scheduling priority: set it in the service (CPUSchedulingPolicy=)"),
    ("max_auto_priority", "vrrpd does not raise its own scheduling priority"),
    ("vrrp_no_swap", "vrrpd does not lock its memory: set it in the service (MemorySwapMax=0)"),
    ("dynamic_interfaces", "vrrpd follows interfaces deleted and created again while it runs, but an interface missing at start is still refused"),
];

/// A keyword of keepalived's other processes (email alerts, LVS, checkers, BFD).
pub(super) fn not_applicable(kw: &str) -> String {
    format!("'{kw}' is not applicable to vrrpd (VRRP only); ignored")
}
