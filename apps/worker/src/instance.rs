//! The worker's static group membership id (Kafka's `group.instance.id`) when
//! `--kafka-instance-id` is not given.
//!
//! With a static id, a worker restarted under the same id gets its partitions back at once;
//! without one (dynamic membership) a restarted worker waits for its previous run's session
//! to expire (~45 s) before the group hands its partitions to anyone. So the default is a
//! static id that a restart keeps and that two workers never share: the host name (stable
//! across restarts of a process, a VM or a container) plus the `--listen` address, which no
//! two running workers on one host can have in common (the second could not bind it).
//!
//! An empty `--kafka-instance-id ""` turns static membership off (dynamic membership).

use std::net::SocketAddr;

/// The longest id Kafka accepts (its topic-name rule applies to instance ids).
const MAX_LEN: usize = 249;

/// The id to join the group with: `flag` as given, the default when it is absent, `None`
/// (dynamic membership) when it is empty.
pub fn resolve(flag: Option<&str>, listen: SocketAddr) -> Option<String> {
    match flag {
        Some("") => None,
        Some(id) => Some(id.to_owned()),
        None => Some(default_id(&host_name(), listen)),
    }
}

/// `HOST-IP-PORT` of the host name and the `--listen` address, with every character Kafka
/// does not accept in an id (anything but `[A-Za-z0-9._-]`) replaced by `_`.
pub fn default_id(host: &str, listen: SocketAddr) -> String {
    let raw = format!("{host}-{}-{}", listen.ip(), listen.port());
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(MAX_LEN)
        .collect()
}

/// The kernel's host name (the container's in a container), `$HOSTNAME` where /proc is not
/// readable, else `localhost`.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "localhost".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    #[test]
    fn the_default_is_stable_and_distinct_per_listen_address() {
        let a = default_id("box", addr("127.0.0.1:3011"));
        assert_eq!(a, "box-127.0.0.1-3011");
        assert_eq!(a, default_id("box", addr("127.0.0.1:3011")));
        assert_ne!(a, default_id("box", addr("127.0.0.1:3012")));
        assert_ne!(a, default_id("other", addr("127.0.0.1:3011")));
    }

    #[test]
    fn the_default_holds_only_characters_kafka_accepts() {
        let id = default_id("höst:1", addr("[::1]:3001"));
        assert_eq!(id, "h_st_1-__1-3001");
        let long = default_id(&"h".repeat(400), addr("127.0.0.1:1"));
        assert_eq!(long.len(), MAX_LEN);
    }

    #[test]
    fn a_given_id_wins_and_an_empty_one_means_dynamic_membership() {
        let listen = addr("127.0.0.1:3001");
        assert_eq!(
            resolve(Some("worker-1"), listen).as_deref(),
            Some("worker-1")
        );
        assert_eq!(resolve(Some(""), listen), None);
        let default = resolve(None, listen);
        assert_eq!(default, Some(default_id(&host_name(), listen)));
    }
}
