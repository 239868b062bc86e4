//! Which addresses user-supplied suites may send requests to. Loopback, link-local and cloud-metadata
//! addresses are denied by default: a suite must not be a way to read services on the livecheck host
//! itself or the server's cloud credentials. Private ranges stay allowed (testing internal APIs is the
//! product's job). Operators extend the deny list or exempt ranges with `LIVECHECK_TARGET_DENY` /
//! `LIVECHECK_TARGET_ALLOW`. The built-in demo tests reach the server's own `/demo` API through one
//! exempt socket address ([`TargetPolicy::with_exempt`]), which opens nothing to user suites.
//!
//! The check runs on every address a host name resolves to (a reqwest resolver), so a name that points
//! at a denied address is refused too, not just IP literals.

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The ranges denied unless allowed: loopback (127.0.0.0/8, ::1), "this network" (0.0.0.0/8, which
/// Linux connects to the host itself), IPv4/IPv6 link-local (which holds 169.254.169.254, the metadata
/// service of most clouds), the unspecified IPv6 address, Alibaba's metadata address, AWS's IPv6 one,
/// Azure's platform address (168.63.129.16) and Oracle Cloud's legacy one (192.0.0.192).
pub const DEFAULT_DENY: &[&str] = &[
    "127.0.0.0/8",
    "::1/128",
    "0.0.0.0/8",
    "169.254.0.0/16",
    "fe80::/10",
    "::/128",
    "100.100.100.200/32",
    "fd00:ec2::254/128",
    "168.63.129.16/32",
    "192.0.0.192/32",
];

/// The deny and allow lists.
#[derive(Debug, Clone)]
pub struct TargetPolicy {
    deny: Vec<IpNet>,
    allow: Vec<IpNet>,
    /// Exact addresses allowed whatever the lists say (the server's own, for its built-in tests).
    exempt: Vec<SocketAddr>,
}

impl Default for TargetPolicy {
    fn default() -> Self {
        Self {
            deny: DEFAULT_DENY.iter().filter_map(|n| n.parse().ok()).collect(),
            allow: Vec::new(),
            exempt: Vec::new(),
        }
    }
}

impl TargetPolicy {
    /// The default policy plus extra denied and allowed ranges (comma-separated CIDRs or addresses).
    pub fn from_lists(extra_deny: &str, allow: &str) -> Result<Self, String> {
        let mut policy = Self::default();
        policy.deny.extend(parse_list(extra_deny)?);
        policy.allow = parse_list(allow)?;
        Ok(policy)
    }

    /// The same policy with loopback allowed: for `livecheck run`, where the suite runs as its own
    /// user on their own machine.
    pub fn allowing_loopback(mut self) -> Self {
        self.allow.extend(
            ["127.0.0.0/8", "::1/128"]
                .iter()
                .filter_map(|n| n.parse::<IpNet>().ok()),
        );
        self
    }

    /// The same policy, with one socket address allowed whatever the lists say.
    pub fn with_exempt(mut self, addr: SocketAddr) -> Self {
        self.exempt.push(addr);
        self
    }

    /// Whether requests may go to `addr`: an exempt address, or an allowed IP.
    pub fn permits_socket(&self, addr: SocketAddr) -> bool {
        self.exempt.contains(&addr) || self.permits(addr.ip())
    }

    /// Whether requests may go to `ip`. An IPv6 address that carries an IPv4 one (IPv4-mapped
    /// `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`) is judged as both.
    pub fn permits(&self, ip: IpAddr) -> bool {
        let embedded = match ip {
            IpAddr::V6(v6) if v6.is_loopback() => None, // `::1` is not 0.0.0.1
            IpAddr::V6(v6) => {
                let [a, b, ..] = v6.segments();
                let nat64 = (a, b) == (0x64, 0xff9b) && v6.segments()[2..6] == [0; 4];
                v6.to_ipv4()
                    .or_else(|| nat64.then(|| std::net::Ipv4Addr::from_bits(v6.to_bits() as u32)))
                    .map(IpAddr::V4)
            }
            IpAddr::V4(_) => None,
        };
        let forms = || std::iter::once(ip).chain(embedded);
        let listed = |list: &[IpNet]| forms().any(|ip| list.iter().any(|n| n.contains(&ip)));
        listed(&self.allow) || !listed(&self.deny)
    }
}

fn parse_list(list: &str) -> Result<Vec<IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("`{s}` is not an address or CIDR range"))
        })
        .collect()
}

/// The error a refused address produces; the engine turns it into the step's message.
#[derive(Debug, thiserror::Error)]
#[error(
    "the target address is not allowed (loopback, link-local, cloud metadata or denied by configuration)"
)]
pub struct Denied;

/// The error of a target name that resolves to no address (a typo, a name that does not exist).
#[derive(Debug, thiserror::Error)]
#[error("the target's name does not resolve to an address")]
pub struct Unresolved;

/// A DNS resolver that drops denied addresses, failing when none is left.
pub struct GuardedResolver(pub Arc<TargetPolicy>);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await
                .map_err(|_| Box::new(Unresolved) as Box<dyn std::error::Error + Send + Sync>)?
                .collect();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| policy.permits(a.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(Box::new(Denied) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Whether an error (anywhere in its source chain) is a refusal by the guard.
pub fn is_denied(e: &(dyn std::error::Error + 'static)) -> bool {
    in_chain::<Denied>(e)
}

/// Whether an error (anywhere in its source chain) is a name that did not resolve.
pub fn is_unresolved(e: &(dyn std::error::Error + 'static)) -> bool {
    in_chain::<Unresolved>(e)
}

fn in_chain<E: std::error::Error + 'static>(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.is::<E>() {
            return true;
        }
        cur = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_link_local_and_metadata_are_denied_private_ranges_are_not() {
        let p = TargetPolicy::default();
        for denied in [
            "169.254.169.254",
            "fe80::1",
            "::ffff:169.254.169.254",
            "::a9fe:a9fe",              // IPv4-compatible 169.254.169.254
            "64:ff9b::169.254.169.254", // NAT64
            "100.100.100.200",
            "168.63.129.16",
            "192.0.0.192",
            "127.0.0.1",
            "127.9.9.9",
            "::1",
            "::ffff:127.0.0.1",
            "0.0.0.0",
            "::",
        ] {
            assert!(!p.permits(denied.parse().unwrap()), "{denied}");
        }
        for ok in [
            "93.184.216.34",
            "10.0.0.1",
            "192.168.1.1",
            "172.16.0.1",
            "fd12::1",
        ] {
            assert!(p.permits(ok.parse().unwrap()), "{ok}");
        }
    }

    #[test]
    fn an_exempt_socket_address_opens_that_port_only() {
        let own: SocketAddr = "127.0.0.1:3000".parse().unwrap();
        let p = TargetPolicy::default().with_exempt(own);
        assert!(p.permits_socket(own));
        assert!(!p.permits_socket("127.0.0.1:3001".parse().unwrap()));
        assert!(!p.permits("127.0.0.1".parse().unwrap()));
    }

    #[test]
    fn lists_extend_and_exempt() {
        let p = TargetPolicy::from_lists("10.0.0.0/8", "169.254.10.0/24").unwrap();
        assert!(!p.permits("10.1.2.3".parse().unwrap()));
        assert!(p.permits("169.254.10.7".parse().unwrap()));
        assert!(!p.permits("169.254.169.254".parse().unwrap()));
        // Every spelling of an address gets the same answer.
        assert!(!p.permits("::ffff:10.1.2.3".parse().unwrap()));
        assert!(!p.permits("64:ff9b::10.1.2.3".parse().unwrap()));
        assert!(p.permits("::ffff:169.254.10.7".parse().unwrap()));
        assert!(TargetPolicy::from_lists("not-a-net", "").is_err());
    }
}
