//! The machine a process runs on, read from the operating system's own files: CPU vendor and
//! model (`/proc/cpuinfo`), OS name and version (`/etc/os-release`), kernel release
//! (`/proc/sys/kernel/osrelease`). Whatever cannot be read is `None`, never a guess. The
//! parsers are pure functions of the files' text, so they are tested on recorded files.

/// What `/proc/cpuinfo` says about the first CPU: its vendor and model.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CpuId {
    pub(crate) vendor: Option<String>,
    pub(crate) model: Option<String>,
}

/// The CPU's vendor and model on this machine (Linux: `/proc/cpuinfo`; elsewhere `None`).
pub(crate) fn cpu() -> CpuId {
    std::fs::read_to_string("/proc/cpuinfo")
        .map(|t| parse_cpuinfo(&t))
        .unwrap_or_default()
}

/// The OS's name and version (`PRETTY_NAME` of `/etc/os-release`, else `NAME` and
/// `VERSION_ID`; macOS and Windows: `None`).
pub(crate) fn os_version() -> Option<String> {
    ["/etc/os-release", "/usr/lib/os-release"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .and_then(|t| parse_os_release(&t))
}

/// The kernel's release (`uname -r`), from `/proc/sys/kernel/osrelease`.
pub(crate) fn kernel_release() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// This machine's name (`/proc/sys/kernel/hostname`), for the record of a verification.
pub(crate) fn hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// The vendor and model of the first processor block of `/proc/cpuinfo`: x86's `vendor_id`
/// and `model name`; on arm64, where the kernel names no model, `CPU implementer` and `CPU
/// part` (as hex ids, which is what the file holds) and the `Hardware` or `Model` line when
/// present.
pub(crate) fn parse_cpuinfo(text: &str) -> CpuId {
    let mut id = CpuId::default();
    let (mut implementer, mut part) = (None, None);
    for line in text.lines() {
        if line.trim().is_empty() && (id.vendor.is_some() || implementer.is_some()) {
            break; // the first processor's block is enough
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match key.trim() {
            "vendor_id" => id.vendor.get_or_insert_with(|| value.to_owned()),
            "model name" | "Hardware" | "Model" => id.model.get_or_insert_with(|| value.to_owned()),
            "CPU implementer" => implementer.get_or_insert_with(|| value.to_owned()),
            "CPU part" => part.get_or_insert_with(|| value.to_owned()),
            _ => continue,
        };
    }
    if id.vendor.is_none() {
        id.vendor = implementer.map(|i| format!("implementer {i}"));
    }
    if id.model.is_none() {
        id.model = part.map(|p| format!("part {p}"));
    }
    id
}

/// `PRETTY_NAME`, else `NAME` and `VERSION_ID`, of an os-release file (shell-style
/// assignments, values optionally quoted).
pub(crate) fn parse_os_release(text: &str) -> Option<String> {
    let get = |key: &str| {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == key).then(|| unquote(v.trim()))
        })
    };
    if let Some(p) = get("PRETTY_NAME").filter(|p| !p.is_empty()) {
        return Some(p);
    }
    match (get("NAME"), get("VERSION_ID")) {
        (Some(n), Some(v)) => Some(format!("{n} {v}")),
        (Some(n), None) => Some(n),
        _ => None,
    }
}

fn unquote(v: &str) -> String {
    let inner = v
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(v);
    inner.replace("\\\"", "\"").replace("\\\\", "\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first lines of an x86 machine's `/proc/cpuinfo` (two processors, as recorded).
    const X86: &str = "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n\
        model name\t: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz\nflags\t\t: fpu sse2 avx2\n\n\
        processor\t: 1\nvendor_id\t: AuthenticAMD\nmodel name\t: other\n";

    /// An arm64 machine's (a Raspberry Pi 4), which names no model.
    const ARM: &str = "processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\n\
        CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd08\n\n\
        Hardware\t: BCM2835\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n";

    #[test]
    fn cpuinfo_gives_the_first_processors_vendor_and_model() {
        assert_eq!(
            parse_cpuinfo(X86),
            CpuId {
                vendor: Some("GenuineIntel".into()),
                model: Some("Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz".into()),
            }
        );
        assert_eq!(
            parse_cpuinfo(ARM),
            CpuId {
                vendor: Some("implementer 0x41".into()),
                model: Some("part 0xd08".into()),
            }
        );
        assert_eq!(parse_cpuinfo(""), CpuId::default());
        assert_eq!(parse_cpuinfo("model name\t:\n"), CpuId::default());
    }

    #[test]
    fn os_release_gives_the_pretty_name_or_name_and_version() {
        let debian = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
                      VERSION_ID=\"12\"\nID=debian\n";
        assert_eq!(
            parse_os_release(debian).as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(
            parse_os_release("NAME=Alpine\nVERSION_ID=3.19.1\n").as_deref(),
            Some("Alpine 3.19.1")
        );
        assert_eq!(
            parse_os_release("PRETTY_NAME='say \\\"hi\\\"'\n").as_deref(),
            Some("say \"hi\"")
        );
        assert_eq!(parse_os_release("ID=x\n"), None);
    }

    #[test]
    fn this_machine_reads_without_panicking() {
        // Whatever the machine is, reading it never fails; on Linux the kernel answers.
        let _ = (cpu(), os_version(), hostname());
        if cfg!(target_os = "linux") {
            assert!(kernel_release().is_some());
        }
    }
}
