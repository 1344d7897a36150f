//! Keeps the console's threads on one CPU.
//!
//! Every statement the console runs is a hand-off between its own thread and
//! the SQLite connection's thread in sqlx, and back. With the two threads on
//! different CPUs each hand-off wakes an idle CPU, which on a virtual machine
//! costs tens of microseconds; on one CPU it is a plain task switch. The
//! console does one thing at a time, so it loses no parallelism: the console
//! bench ran 2.7 times the commands per second this way (BENCHMARKS.md,
//! "the console on one CPU").

/// Binds the calling thread, and so every thread it starts later (sqlx's
/// connection threads, tokio's blocking threads), to the CPU it runs on now.
/// Call it before the database is opened. Returns the CPU, or `None` where
/// the system does not allow it (the console then runs as before).
pub fn keep_to_one_cpu() -> Option<usize> {
    imp::keep_to_one_cpu()
}

#[cfg(target_os = "linux")]
mod imp {
    use nix::sched::{sched_getcpu, sched_setaffinity, CpuSet};
    use nix::unistd::Pid;

    pub fn keep_to_one_cpu() -> Option<usize> {
        let cpu = sched_getcpu().ok()?;
        let mut set = CpuSet::new();
        set.set(cpu).ok()?;
        // Pid 0: this thread, whose later children inherit the set.
        sched_setaffinity(Pid::from_raw(0), &set).ok()?;
        Some(cpu)
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub fn keep_to_one_cpu() -> Option<usize> {
        None
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use nix::sched::{sched_getaffinity, CpuSet};
    use nix::unistd::Pid;

    fn allowed() -> Vec<usize> {
        let set = sched_getaffinity(Pid::from_raw(0)).unwrap();
        (0..CpuSet::count())
            .filter(|&c| set.is_set(c).unwrap_or(false))
            .collect()
    }

    #[test]
    fn the_thread_and_the_threads_it_starts_stay_on_the_cpu_it_ran_on() {
        // A thread of its own: the test harness's other tests keep their CPUs.
        std::thread::spawn(|| {
            let before = allowed();
            let cpu = super::keep_to_one_cpu().expect("Linux allows a thread to narrow its own CPUs");
            assert!(before.contains(&cpu), "{cpu} is not among {before:?}");
            assert_eq!(allowed(), vec![cpu]);
            let child = std::thread::spawn(allowed).join().unwrap();
            assert_eq!(
                child,
                vec![cpu],
                "a thread started afterwards inherits the one CPU"
            );
        })
        .join()
        .unwrap();
    }
}
