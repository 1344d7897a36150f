//! Keeps the console's threads on one CPU.
//!
//! Every statement the console runs is a hand-off between its own thread and
//! the SQLite connection's thread in sqlx, and back. With the two threads on
//! different CPUs each hand-off wakes an idle CPU, which on a virtual machine
//! costs tens of microseconds; on one CPU it is a plain task switch. The
//! console does one thing at a time, so it loses no parallelism: the console
//! bench ran 2.7 times the commands per second this way (BENCHMARKS.md,
//! "the console on one CPU").
//!
//! On that one CPU, each hand-off wakes the other thread, and Linux's normal
//! policy lets the woken thread preempt the waker at once: the waker is
//! switched out before it reaches its own wait, and back in to finish the
//! few instructions to it, two task switches more per hand-off. The batch
//! policy (`SCHED_BATCH`: the same shares, no preemption on wake-up) lets
//! the waker run on to its wait: half the task switches, the bench's script
//! in 0.85 of the time (BENCHMARKS.md, issue 23's eighth session).

/// Binds the calling thread, and so every thread it starts later (sqlx's
/// connection threads, tokio's blocking threads), to the CPU it runs on now.
/// Call it before the database is opened. Returns the CPU, or `None` where
/// the system does not allow it (the console then runs as before).
pub fn keep_to_one_cpu() -> Option<usize> {
    imp::keep_to_one_cpu()
}

/// Puts the calling thread, and every thread it starts later, under the
/// batch policy: no preemption when it wakes another. False where the
/// system does not allow it (the console then runs as before).
pub fn run_as_batch() -> bool {
    imp::run_as_batch()
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

    pub fn run_as_batch() -> bool {
        // The batch policy takes priority 0 only. (nix has no binding.)
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: a plain system call on this thread (pid 0), reading only
        // `param`, which lives until it returns.
        unsafe { libc::sched_setscheduler(0, libc::SCHED_BATCH, &param) == 0 }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub fn keep_to_one_cpu() -> Option<usize> {
        None
    }

    pub fn run_as_batch() -> bool {
        false
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

    fn policy() -> i32 {
        // SAFETY: a plain system call about this thread.
        unsafe { libc::sched_getscheduler(0) }
    }

    #[test]
    fn the_thread_and_the_threads_it_starts_run_as_batch() {
        std::thread::spawn(|| {
            assert_eq!(policy(), libc::SCHED_OTHER);
            assert!(super::run_as_batch(), "Linux lets a thread take the batch policy");
            assert_eq!(policy(), libc::SCHED_BATCH);
            let child = std::thread::spawn(policy).join().unwrap();
            assert_eq!(
                child,
                libc::SCHED_BATCH,
                "a thread started afterwards inherits it"
            );
        })
        .join()
        .unwrap();
    }
}
