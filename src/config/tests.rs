use super::*;

#[test]
fn the_embedded_defaults_are_valid() {
    let c = Config::defaults();
    assert_eq!(c.cab.quorum, 3);
    assert_eq!(c.cab.deadline, Duration::hours(48));
    assert_eq!(c.timezone, chrono_tz::Europe::London);
    assert_eq!(c.windows.len(), 2);
    assert_eq!(c.environments, vec!["staging", "prod"]);
    assert_eq!(c.deployment_steps.len(), 8);
    assert!(c.freezes.is_empty());
    assert_eq!(c.discord.api_base, None);
}

#[test]
fn a_user_file_layers_over_the_defaults() {
    let c = Config::from_layers(Some(
            "[cab]\nquorum = 2\n[[calendar.freezes]]\nname = \"year-end\"\nfrom = \"2026-12-21T00:00:00Z\"\nto = \"2027-01-04T00:00:00Z\"\n",
        ))
        .unwrap();
    assert_eq!(c.cab.quorum, 2);
    assert_eq!(
        c.cab.quorum_high, 5,
        "keys the file does not set keep their defaults"
    );
    assert_eq!(c.freezes.len(), 1);
}

#[test]
fn every_bad_key_is_named_with_value_and_expectation() {
    let errs = Config::from_layers(Some(
        r#"
[cab]
rule = "mostly"
deadline = "soon"
veto_roles = ["boss"]
quorum = 0
[calendar]
timezone = "Mars/Olympus"
[[calendar.windows]]
name = "bad"
cron = "every thursday"
duration = "4h"
environments = []
[[calendar.freezes]]
name = "backwards"
from = "2027-01-04T00:00:00Z"
to = "2026-12-21T00:00:00Z"
[els]
days = -1
"#,
    ))
    .unwrap_err();
    let keys: Vec<&str> = errs.0.iter().map(|e| e.key.as_str()).collect();
    for k in [
        "cab.rule",
        "cab.deadline",
        "cab.veto_roles",
        "cab.quorum",
        "calendar.timezone",
        "calendar.windows[0].cron",
        "calendar.windows[0].environments",
        "calendar.freezes[0].to",
        "els.days",
    ] {
        assert!(keys.contains(&k), "{k} missing from {keys:?}");
    }
    let tz = errs.0.iter().find(|e| e.key == "calendar.timezone").unwrap();
    assert_eq!(
        tz.to_string(),
        "calendar.timezone: \"Mars/Olympus\" — expected an IANA time zone such as Europe/London"
    );
}

/// `from_layers` relies on the path naming the unknown key itself, not
/// only its table.
#[test]
fn the_path_of_an_unknown_field_ends_with_that_field() {
    let mut value: toml::Value = toml::from_str(DEFAULT_TOML).unwrap();
    merge(&mut value, toml::from_str("[cab]\nquorom = 3\n").unwrap());
    let e = serde_path_to_error::deserialize::<_, Raw>(value).err().unwrap();
    assert_eq!(e.path().to_string(), "cab.quorom");
    assert!(e
        .inner()
        .message()
        .starts_with("unknown field `quorom`, expected one of "));
}

fn messages(user: &str) -> Vec<String> {
    Config::from_layers(Some(user))
        .unwrap_err()
        .0
        .iter()
        .map(|e| e.to_string())
        .collect()
}

#[test]
fn durations_and_counts_are_bounded() {
    let c = Config::from_layers(Some(
            "[cab]\ndeadline = \"366d\"\nquorum = 1000\nearly_approval = 1000\n[calendar]\nannounce_before = [\"52w2d\"]\n",
        ))
        .unwrap();
    assert_eq!(c.cab.deadline, Duration::days(MAX_DURATION_DAYS));
    assert_eq!(c.announce_before, [Duration::days(366)]);
    assert_eq!((c.cab.quorum, c.cab.early_approval), (MAX_COUNT, MAX_COUNT));
    assert_eq!(
            messages("[cab]\ndeadline = \"100000w\"\nquorum = 4000000000\nquorum_high = 0\nearly_approval = 1001\n"),
            [
                "cab.quorum: 4000000000 — expected a number of votes from 1 to 1000",
                "cab.quorum_high: 0 — expected a number of votes from 1 to 1000",
                "cab.early_approval: 1001 — expected 0 (wait for the deadline) or a number of approvals from 1 to 1000",
                "cab.deadline: \"100000w\" — expected a duration from 1s to 366d",
            ]
        );
}

#[test]
fn unknown_keys_and_wrong_types_are_refused() {
    assert_eq!(
            messages("[cab]\nquorom = 3\n"),
            [
                "cab.quorom: (unknown key) — expected one of `quorum`, `quorum_high`, `rule`, `veto_roles`, \
              `deadline`, `early_approval`, `emergency_quorum`, `emergency_deadline`, `standard_preapproved`, `remind_before`"
            ]
        );
    assert_eq!(
        messages("[cab]\nquorum = \"three\"\n"),
        ["cab.quorum: \"three\" — expected u32"]
    );
    assert_eq!(
        messages("[calendar]\nannounce_before = [\"1h\", 30]\n"),
        ["calendar.announce_before[1]: 30 — expected a string"]
    );
    assert_eq!(
        messages("[[calendar.windows]]\nname = \"w\"\nduration = \"1h\"\nenvironments = [\"prod\"]\n"),
        ["calendar.windows[0].cron: (missing) — expected this key to be set"]
    );
    assert_eq!(
        messages("[discord]\nguild_id = -1\n"),
        ["discord.guild_id: -1 — expected u64"]
    );
}

#[test]
fn governance_keys_have_defaults_and_ranges() {
    let c = Config::defaults();
    assert!(c.standard_preapproved && c.segregation);
    assert_eq!(c.block_close_severity, 2);
    for bad in ["0", "5"] {
        assert_eq!(
            messages(&format!("[els]\nblock_close_severity = {bad}\n")),
            [format!(
                "els.block_close_severity: {bad} — expected a severity from 1 (worst) to 4"
            )]
        );
    }
    let c = Config::from_layers(Some(
            "[els]\nblock_close_severity = 1\n[authorization]\nsegregation = false\n[cab]\nstandard_preapproved = false\n",
        ))
        .unwrap();
    assert_eq!(
        (c.block_close_severity, c.segregation, c.standard_preapproved),
        (1, false, false)
    );
}

#[test]
fn a_syntax_error_names_its_line_and_column() {
    let e = Config::from_layers(Some("[cab]\nquorum = 3\nrule = majority\n")).unwrap_err();
    assert_eq!(e.0.len(), 1);
    assert_eq!(
        (e.0[0].key.as_str(), e.0[0].value.as_str()),
        ("(file)", "line 3, column 8")
    );
    assert_eq!(e.0[0].expected, "valid TOML (invalid string; expected `\"`, `'`)");
}

#[test]
fn type_errors_unknown_keys_and_bad_values_are_all_named_in_one_run() {
    assert_eq!(
            messages(
                "[cab]\nquorum = \"three\"\nquorom = 3\ndeadline = \"soon\"\n\
                 [calendar]\ntimezone = \"Mars/Olympus\"\n[roles]\nbuild_manager = \"build\"\n"
            ),
            [
                "cab.quorom: (unknown key) — expected one of `quorum`, `quorum_high`, `rule`, `veto_roles`, \
                 `deadline`, `early_approval`, `emergency_quorum`, `emergency_deadline`, `standard_preapproved`, `remind_before`",
                "cab.quorum: \"three\" — expected u32",
                "roles.build_manager: \"build\" — expected a sequence",
                "cab.deadline: \"soon\" — expected a positive duration such as 90m, 4h or 2d",
                "calendar.timezone: \"Mars/Olympus\" — expected an IANA time zone such as Europe/London",
            ]
        );
}

#[test]
fn chat_roles_map_to_itil_roles() {
    let c = Config::defaults();
    let r = c.itil_roles(["release-manager", "cab", "other"]);
    assert_eq!(r, [Role::ReleaseManager, Role::CabMember].into());
    assert_eq!(c.itil_roles(["build_manager"]), [Role::BuildManager].into());
}

#[test]
fn http_listen_is_an_address_or_nothing() {
    assert_eq!(Config::from_layers(None).unwrap().http_listen, None);
    let c = Config::from_layers(Some("[http]\nlisten = \"127.0.0.1:8080\"\n")).unwrap();
    assert_eq!(c.http_listen, Some("127.0.0.1:8080".parse().unwrap()));
    assert_eq!(
        messages("[http]\nlisten = \"localhost\"\n"),
        ["http.listen: \"localhost\" — expected an address and port such as \"127.0.0.1:8080\", or \"\" for no HTTP server"]
    );
}

#[test]
fn ha_takeover_is_a_duration_from_a_second_to_an_hour() {
    assert_eq!(
        Config::from_layers(None).unwrap().takeover,
        std::time::Duration::from_secs(15)
    );
    let c = Config::from_layers(Some("[ha]\ntakeover = \"2s\"\n")).unwrap();
    assert_eq!(c.takeover, std::time::Duration::from_secs(2));
    let expected = "a duration from 1s to 1h such as \"15s\" (how soon a standby takes over after the leader's session ends)";
    for bad in ["0s", "2h", "soon", ""] {
        assert_eq!(
            messages(&format!("[ha]\ntakeover = \"{bad}\"\n")),
            [format!("ha.takeover: {bad:?} — expected {expected}")],
            "{bad}"
        );
    }
    assert_eq!(
        messages("[ha]\ntakeover = 15\n").len(),
        1,
        "a number is not a duration"
    );
}
