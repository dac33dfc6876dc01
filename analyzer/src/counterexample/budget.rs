//! What one program's search may spend, counted as work (interpreter runs, symbolic
//! instructions and solver queries) and as wall time: every run, shrink, symbolic step and
//! query draws from the one budget, so it holds whatever the program and its obligations.

use std::time::{Duration, Instant};

/// The work and time left to a search, and the work spent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Budget {
    runs_left: u64,
    steps_left: u64,
    deadline: Option<Instant>,
    spent: Spent,
}

/// The work a search did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Spent {
    /// Interpreter runs (searching, confirming and shrinking).
    pub runs: u64,
    /// Instructions run symbolically, a solver query counting as
    /// [`super::symbolic::STEPS_PER_QUERY`].
    pub symbolic_steps: u64,
}

impl Budget {
    /// At most `runs` interpreter runs and `steps` symbolic steps, until `deadline`.
    pub fn new(runs: u64, steps: u64, deadline: Option<Instant>) -> Budget {
        Budget { runs_left: runs, steps_left: steps, deadline, spent: Spent::default() }
    }

    /// Takes one run, unless the runs or the time are used up.
    pub fn take_run(&mut self) -> bool {
        if self.runs_left == 0 || self.past_deadline() {
            return false;
        }
        self.runs_left -= 1;
        self.spent.runs += 1;
        true
    }

    /// Takes `steps` symbolic steps, unless the steps or the time are used up.
    pub fn take_steps(&mut self, steps: u64) -> bool {
        if self.steps_left < steps || self.past_deadline() {
            self.steps_left = 0;
            return false;
        }
        self.steps_left -= steps;
        self.spent.symbolic_steps += steps;
        true
    }

    /// A budget of half the steps and half the time left (no runs): a share to spend
    /// alongside this one, which is still charged.
    pub fn half(&self) -> Budget {
        let deadline = self.time_left().and_then(|left| Instant::now().checked_add(left / 2));
        Budget::new(0, self.steps_left / 2, deadline)
    }

    /// Charges `steps` spent out of a [`Budget::half`] of this budget.
    pub fn charge_steps(&mut self, steps: u64) {
        let steps = steps.min(self.steps_left);
        self.steps_left -= steps;
        self.spent.symbolic_steps += steps;
    }

    /// Moves the deadline `by` later (for work that is not the search's own).
    pub fn extend(&mut self, by: Duration) {
        self.deadline = self.deadline.and_then(|deadline| deadline.checked_add(by));
    }

    /// Whether nothing is left to spend on symbolic search.
    pub fn exhausted(&self) -> bool {
        self.steps_left == 0 || self.past_deadline()
    }

    /// When the search must stop.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Time until the deadline (`None`: no deadline).
    pub fn time_left(&self) -> Option<Duration> {
        self.deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()))
    }

    /// The work spent so far.
    pub fn spent(&self) -> Spent {
        self.spent
    }

    fn past_deadline(&self) -> bool {
        self.deadline.is_some_and(|deadline| Instant::now() > deadline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_and_steps_stop_at_their_limits() {
        let mut budget = Budget::new(2, 100, None);
        assert!(budget.take_run() && budget.take_run());
        assert!(!budget.take_run(), "a third run is over the limit");
        assert_eq!(budget.half().steps_left, 50);
        assert!(budget.take_steps(64));
        assert!(!budget.take_steps(64), "only 36 steps are left");
        assert!(budget.exhausted());
        assert_eq!(budget.spent(), Spent { runs: 2, symbolic_steps: 64 });
        let passed = Instant::now().checked_sub(Duration::from_millis(1));
        let mut late = Budget::new(10, 10, passed);
        assert!(!late.take_run() && !late.take_steps(1));
        assert_eq!(late.time_left(), Some(Duration::ZERO));
    }
}
