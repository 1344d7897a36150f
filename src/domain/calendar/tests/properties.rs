//! Properties over many zones and crons.

use super::*;

// ---- properties ----

const ZONES: &[&str] = &[
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "UTC",
];

/// Cron texts that hit the small hours (where transitions happen) often.
fn arb_cron() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just("0".to_string()),
            Just("30".to_string()),
            Just("0/15".to_string()),
            (0u32..60).prop_map(|m| m.to_string())
        ],
        prop_oneof![
            (0u32..4).prop_map(|h| h.to_string()),
            (0u32..24).prop_map(|h| h.to_string()),
            Just("*/6".to_string()),
            Just("1-3".to_string())
        ],
        prop_oneof![
            Just("*".to_string()),
            Just("Sun".to_string()),
            Just("Mon-Fri".to_string()),
            Just("Sat,Sun".to_string())
        ],
    )
        .prop_map(|(m, h, d)| format!("0 {m} {h} * * {d}"))
}

fn arb_zone() -> impl Strategy<Value = Tz> {
    proptest::sample::select(ZONES).prop_map(tz)
}

/// Instants in 2025..2028, half of them in the months where the zones
/// above change their clocks, so 64 cases still meet plenty of gaps and
/// repeated hours.
fn arb_instant() -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        (0i64..3 * 365 * 24 * 60).prop_map(|m| utc(2025, 1, 1, 0, 0) + Duration::minutes(m)),
        (
            2025i32..2028,
            proptest::sample::select(&[3u32, 4, 9, 10][..]),
            1u32..29,
            0i64..24 * 60
        )
            .prop_map(|(y, mo, d, m)| utc(y, mo, d, 0, 0) + Duration::minutes(m)),
    ]
}

fn arb_freezes() -> impl Strategy<Value = Vec<(i64, i64)>> {
    // (offset from base in hours, length in hours)
    proptest::collection::vec((-48i64..24 * 30, 1i64..24 * 10), 0..4)
}

fn build(zone: Tz, crons: &[String], hours: i64, base: DateTime<Utc>, fr: &[(i64, i64)]) -> Calendar {
    Calendar {
        tz: zone,
        windows: crons
            .iter()
            .enumerate()
            .map(|(i, c)| window(&format!("w{i}"), c, hours, &["prod"]))
            .collect(),
        freezes: fr
            .iter()
            .enumerate()
            .map(|(i, (off, len))| {
                let from = base + Duration::hours(*off);
                freeze(&format!("f{i}"), from, from + Duration::hours(*len))
            })
            .collect(),
    }
}

/// Whether `t` is the first instant after a spring-forward gap.
fn is_gap_end(zone: Tz, t: DateTime<Utc>) -> bool {
    let before = zone.offset_from_utc_datetime(&(t - Duration::seconds(1)).naive_utc());
    let at = zone.offset_from_utc_datetime(&t.naive_utc());
    before.fix().local_minus_utc() < at.fix().local_minus_utc()
}

/// Instants in `year` at which `zone` changes its UTC offset, to within
/// a quarter of an hour (enough to aim tests at them).
fn transitions(zone: Tz, year: i32) -> Vec<DateTime<Utc>> {
    let offset = |t: DateTime<Utc>| zone.offset_from_utc_datetime(&t.naive_utc()).fix();
    let mut out = Vec::new();
    let mut t = utc(year, 1, 1, 0, 0);
    while t.year() == year {
        let next = t + Duration::minutes(15);
        if offset(t) != offset(next) {
            out.push(next);
        }
        t = next;
    }
    out
}

/// The properties every result of `openings` must have: in range, sorted
/// and unique, each matching its cron in local time (or being the end of a
/// gap that the cron matched inside), never a second occurrence, and none
/// of the natively computed occurrences missing.
fn check_openings(c: &Calendar, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), TestCaseError> {
    let zone = c.tz;
    let got = c.openings(from, to);
    for pair in got.windows(2) {
        prop_assert!((pair[0].start, &pair[0].window) < (pair[1].start, &pair[1].window));
    }
    for o in &got {
        prop_assert!(from <= o.start && o.start < to);
        prop_assert_eq!(o.end - o.start, c.window(&o.window).unwrap().duration);
        let w = c.window(&o.window).unwrap();
        let local = o.start.with_timezone(&zone);
        if !w.schedule.includes(local) {
            // Documented gap shift: the cron matched a wall-clock time
            // inside the gap that ends at `start`.
            prop_assert!(is_gap_end(zone, o.start), "{o:?} local {local}");
            let gap_from = (o.start - Duration::seconds(1))
                .with_timezone(&zone)
                .naive_local();
            let hit = w
                .schedule
                .after(&Utc.from_utc_datetime(&gap_from))
                .next()
                .unwrap();
            prop_assert!(
                hit.naive_utc() < local.naive_local(),
                "{o:?}: no match in the gap"
            );
        }
        // Never the second occurrence of a repeated wall-clock time.
        let earliest = zone.from_local_datetime(&local.naive_local()).earliest().unwrap();
        prop_assert_eq!(earliest.with_timezone(&Utc), o.start);
    }
    // Every native occurrence that is unambiguous, or the first of an
    // ambiguous pair, is an opening.
    for w in &c.windows {
        for t in w
            .schedule
            .after(&(from - Duration::seconds(1)).with_timezone(&zone))
        {
            let tu = t.with_timezone(&Utc);
            if tu >= to {
                break;
            }
            let first = zone.from_local_datetime(&t.naive_local()).earliest().unwrap();
            if tu >= from && first == t {
                prop_assert!(
                    got.iter().any(|o| o.window == w.name && o.start == tu),
                    "missing {tu}"
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn openings_match_cron_are_sorted_unique_and_complete(
        zone in arb_zone(),
        crons in proptest::collection::vec(arb_cron(), 1..3),
        from in arb_instant(),
        days in 1i64..40,
    ) {
        let c = build(zone, &crons, 2, from, &[]);
        check_openings(&c, from, from + Duration::days(days))?;
    }

    /// The same properties, aimed straight at clock changes: `from` just
    /// before a transition, cron hours at the wall-clock hours it touches.
    #[test]
    fn openings_around_transitions_follow_the_dst_rules(
        zone in proptest::sample::select(&ZONES[..5]),
        year in 2025i32..2028,
        pick in any::<proptest::sample::Index>(),
        before_h in 0i64..30,
        minute in prop_oneof![Just(0u32), Just(30u32), 0u32..60],
        hour_pick in 0usize..4,
        every_quarter in any::<bool>(),
    ) {
        let zone = tz(zone);
        let ts = transitions(zone, year);
        prop_assume!(!ts.is_empty());
        let t = ts[pick.index(ts.len())];
        let before = (t - Duration::seconds(1)).with_timezone(&zone).hour();
        let after = t.with_timezone(&zone).hour();
        let hour = [before, (before + 1) % 24, (before + 1) % 24, after][hour_pick];
        let minutes = if every_quarter { "0/15".to_string() } else { minute.to_string() };
        let cron = format!("0 {minutes} {hour} * * *");
        let from = t - Duration::hours(before_h);
        let c = build(zone, &[cron], 2, from, &[]);
        check_openings(&c, from, t + Duration::days(2))?;
    }

    #[test]
    fn next_free_opening_is_free_and_skips_exactly_the_frozen_ones(
        zone in arb_zone(),
        cron in arb_cron(),
        hours in 1i64..30,
        after in arb_instant(),
        fr in arb_freezes(),
    ) {
        let c = build(zone, std::slice::from_ref(&cron), hours, after, &fr);
        match c.next_free_opening("w0", after) {
            Ok(b) => {
                prop_assert!(b.opening.start >= after);
                for f in &c.freezes {
                    prop_assert!(!(f.from < b.opening.end && b.opening.start < f.to), "{f:?} overlaps");
                }
                let earlier = c.openings_of("w0", after, b.opening.start).unwrap();
                let skipped: Vec<_> = b.skipped.iter().map(|(o, _)| o.clone()).collect();
                prop_assert_eq!(&earlier, &skipped);
                for (o, name) in &b.skipped {
                    let f = c.freezes.iter().find(|f| &f.name == name).unwrap();
                    prop_assert!(f.from < o.end && o.start < f.to);
                }
            }
            Err(CalendarError::NoFreeOpening { .. }) => {
                let all = c.openings_of("w0", after, after + Duration::days(366)).unwrap();
                prop_assert!(all.iter().all(|o| !c.freezes_overlapping(o.start, o.end).is_empty()));
            }
            Err(e) => prop_assert!(false, "unexpected {e}"),
        }
    }

    #[test]
    fn gate_is_open_iff_check_at_is_ok(
        zone in arb_zone(),
        crons in proptest::collection::vec(arb_cron(), 1..3),
        hours in 1i64..12,
        base in arb_instant(),
        fr in arb_freezes(),
        probes in proptest::collection::vec(0i64..24 * 14 * 60, 1..8),
        env in prop_oneof![Just("prod"), Just("PROD"), Just("qa")],
    ) {
        let c = build(zone, &crons, hours, base, &fr);
        for p in probes {
            let now = base + Duration::minutes(p);
            let check = c.check_at(env, now);
            for emergency in [false, true] {
                let gate = c.gate(env, now, emergency);
                match (&gate, &check) {
                    (Gate::Open { opening }, Ok(o)) => prop_assert_eq!(opening, o),
                    (Gate::Open { .. }, Err(_)) | (_, Ok(_)) => prop_assert!(false, "{gate:?} vs {check:?}"),
                    (Gate::Emergency { outside_window, freeze }, Err(_)) => {
                        prop_assert!(emergency);
                        prop_assert!(*outside_window || freeze.is_some());
                        prop_assert_eq!(*outside_window, c.opening_at(env, now).is_none());
                        prop_assert_eq!(freeze.is_some(), c.freeze_at(now).is_some());
                    }
                    (Gate::Closed { .. }, Err(e)) => {
                        let unknown_env = matches!(e, CalendarError::NoWindowFor { .. });
                        prop_assert!(!emergency || unknown_env);
                    }
                }
            }
            if let Ok(o) = &check {
                prop_assert!(o.contains(now));
                prop_assert!(c.freeze_at(now).is_none());
            }
        }
    }
}
