//! Moving a Keep a Changelog `## [Unreleased]` section under a version.

use anyhow::bail;

const UNRELEASED: &str = "## [Unreleased]";

/// Moves what is under `## [Unreleased]` to a new `## [VERSION] - DATE`
/// section right below it, leaving `## [Unreleased]` empty.
pub(crate) fn release(changelog: &str, version: &str, date: &str) -> anyhow::Result<String> {
    let Some(start) = changelog.find(UNRELEASED) else {
        bail!("no `{UNRELEASED}` heading");
    };
    if changelog.contains(&format!("## [{version}]")) {
        bail!("already has a `## [{version}]` section");
    }
    let body_start = start + UNRELEASED.len();
    let rest = &changelog[body_start..];
    let body_len = rest.find("\n## [").map_or(rest.len(), |end| end + 1);
    let body = rest[..body_len].trim();
    let after = &rest[body_len..];
    let mut out = String::from(&changelog[..start]);
    out.push_str(UNRELEASED);
    out.push_str("\n\n");
    out.push_str(&format!("## [{version}] - {date}\n"));
    if !body.is_empty() {
        out.push('\n');
        out.push_str(body);
        out.push('\n');
    }
    if !after.is_empty() {
        out.push('\n');
        out.push_str(after);
    }
    Ok(out)
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub(crate) fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let (year, month, day) = civil_from_days(i64::try_from(secs / 86_400).unwrap_or(0));
    format!("{year:04}-{month:02}-{day:02}")
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const CHANGELOG: &str = "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n### Added\n- Rooms.\n\n\
                             ## [0.1.0] - 2025-01-01\n\n### Added\n- First release.\n";

    #[test]
    fn the_unreleased_section_moves_under_the_version() {
        let released = release(CHANGELOG, "0.2.0", "2026-03-04").unwrap();
        assert_eq!(
            released,
            "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n## [0.2.0] - 2026-03-04\n\n### Added\n- Rooms.\n\n\
             ## [0.1.0] - 2025-01-01\n\n### Added\n- First release.\n"
        );
    }

    #[test]
    fn a_first_release_has_no_older_section() {
        let changelog = "# Changelog\n\n## [Unreleased]\n\n### Added\n- First release.\n";
        let released = release(changelog, "0.1.0", "2026-03-04").unwrap();
        assert_eq!(
            released,
            "# Changelog\n\n## [Unreleased]\n\n## [0.1.0] - 2026-03-04\n\n### Added\n- First release.\n"
        );
    }

    #[test]
    fn releasing_twice_or_without_unreleased_fails() {
        let released = release(CHANGELOG, "0.2.0", "2026-03-04").unwrap();
        assert!(release(&released, "0.2.0", "2026-03-05").is_err());
        assert!(release("# Changelog\n", "0.2.0", "2026-03-04").is_err());
    }

    #[test]
    fn dates_are_civil() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
    }
}
