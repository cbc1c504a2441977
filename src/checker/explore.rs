//! The explorer: joincheck's own search of a stateright [`Model`], depth first on several
//! threads for verdicts, shortest first (iterative deepening) on one for shortest
//! counterexamples.
//!
//! The model's interface is stateright's (`init_states`, `actions`, `next_state`,
//! `within_boundary`, `properties`), and so are its verdicts: an `always` property is
//! discovered at the first state found where it fails, a `sometimes` property at the first
//! where it holds, and the search ends when [`Finish`] says the discoveries suffice or no state
//! is left. What differs is the machinery, which is where stateright's checker spent its time
//! on these models (issue 30's profile: its shared `DashMap` 19%, moving states 14%, hashing
//! 10%, and a path of action indices copied into every pending state):
//!
//! - the visited set is [`Visited`], 8 bytes per slot and no lock per insertion;
//! - a depth-first thread keeps one path, the actions to the state it expands; a pending state
//!   carries only its depth and the action that made it, and its path is the thread's path cut
//!   to that depth. That holds because every pending state of a depth-first stack is a child
//!   of a state on the current path;
//! - threads share work only when one is idle: a busy thread then gives the bottom half of its
//!   stack (the states nearest the root, with the most beneath them) and a copy of its path;
//! - a property once discovered is not evaluated again;
//! - the shortest-first search deepens a depth-first one step at a time instead of holding a
//!   breadth-first frontier of whole states, and builds a path only for a discovery.
//!
//! Within one thread the depth-first order is stateright's (the last action's successor
//! first), so the unique state counts are the same; the shortest-first search meets the
//! shortest discoveries in breadth-first order, so the counterexamples are the ones
//! stateright's breadth-first search finds, or shorter. stateright's own checker stays the
//! differential test of this one (`tests/checker`).

use super::visited::{fingerprint, Visited};
use crate::hash::FxMap;
use stateright::{Expectation, Model};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration as StdDuration;

/// When a search may end before it has visited every state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Finish {
    /// When every property has a discovery.
    All,
    /// At the first discovery.
    Any,
    /// At the first violated invariant.
    AnyFailures,
    /// When every invariant is violated.
    AllFailures,
}

/// How a search walks the state space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Order {
    /// Shortest first, on one thread (iterative deepening): the first discovery is at the
    /// least depth, and memory is a path and the fingerprints seen (counterexamples).
    Shortest,
    /// Depth first, on any number of threads: holds the paths being explored and the visited
    /// set's fingerprints (the main run, which decides verdicts).
    Depth,
}

/// A discovery: the index of the initial state it starts from and the actions from there.
pub(super) type Discovery<A> = (usize, Vec<A>);

/// What a search saw, as it runs and when it is done.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Counts {
    /// Distinct states visited (within the boundary), the initial ones included.
    pub unique_states: usize,
    /// States generated, counting revisits, the initial ones included.
    pub states: usize,
    /// The longest path explored, in states (an initial state is depth 1).
    pub max_depth: usize,
}

/// What a finished search found.
pub(super) struct Explored<A> {
    pub counts: Counts,
    /// Per property name, the path to its discovery.
    pub discoveries: HashMap<&'static str, Discovery<A>>,
}

/// Explores `model` in `order` on `threads` threads (shortest first uses one) until the state
/// space is covered or `finish` is met, calling `watch` with the counts about ten times a
/// second (the caller's limits act through the model's `within_boundary`). `expected` sizes the
/// visited set (it grows past it).
pub(super) fn explore<M>(
    model: &M,
    order: Order,
    threads: usize,
    finish: Finish,
    expected: usize,
    watch: &mut dyn FnMut(Counts),
) -> Explored<M::Action>
where
    M: Model + Sync,
    M::State: Hash + Send,
    M::Action: Clone + Send,
{
    let threads = match order {
        Order::Shortest => 1,
        Order::Depth => threads.max(1),
    };
    let search = Search::new(model, finish, expected, threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| match order {
                    Order::Shortest => search.shortest_first(),
                    Order::Depth => search.depth_first(),
                })
            })
            .collect();
        // Short searches (counterexamples) end within milliseconds: look often at first.
        let mut pause = StdDuration::from_millis(1);
        while !workers.iter().all(|w| w.is_finished()) {
            watch(search.counts());
            std::thread::sleep(pause);
            pause = (pause * 2).min(StdDuration::from_millis(100));
        }
        for w in workers {
            if let Err(panic) = w.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
    let counts = search.counts();
    watch(counts);
    Explored {
        counts,
        discoveries: search.discoveries.into_inner().unwrap_or_else(PoisonError::into_inner),
    }
}

/// A state waiting to be expanded by a depth-first thread.
struct Pending<S, A> {
    state: S,
    /// Its depth (an initial state is 1).
    depth: usize,
    /// The action that made it from its parent, or for an initial state, its index.
    made_by: Made<A>,
}

enum Made<A> {
    Init(usize),
    Action(A),
}

impl<A> Made<A> {
    /// Makes `root` and `path` the way to the state this made, at `depth`, from the way to
    /// the state popped before it: every pending state of a depth-first stack is a child of a
    /// state on the current path, so its path is that path cut to its parent, and its action.
    fn follow(self, depth: usize, root: &mut usize, path: &mut Vec<A>) {
        match self {
            Made::Init(i) => {
                *root = i;
                path.clear();
            }
            Made::Action(a) => {
                path.truncate(depth - 2);
                path.push(a);
            }
        }
    }
}

/// Work one thread gives another: pending states, and the path their parents lie on.
struct Chunk<S, A> {
    pending: Vec<Pending<S, A>>,
    /// The initial state the path starts from, and its actions.
    root: usize,
    path: Vec<A>,
}

/// The states between two looks at the shared counts and the halt flag, and between two
/// pauses of a thread's hold on the visited set.
const BLOCK: usize = 256;

struct Search<'m, M: Model> {
    model: &'m M,
    properties: Vec<stateright::Property<M>>,
    finish: Finish,
    visited: Visited,
    /// Per property, whether it has a discovery (read without the lock).
    found: Vec<AtomicBool>,
    discoveries: Mutex<HashMap<&'static str, Discovery<M::Action>>>,
    /// Set when `finish` is met: every thread stops at its next state.
    halt: AtomicBool,
    states: AtomicUsize,
    max_depth: AtomicUsize,
    pool: Pool<Chunk<M::State, M::Action>>,
}

impl<'m, M> Search<'m, M>
where
    M: Model + Sync,
    M::State: Hash + Send,
    M::Action: Clone + Send,
{
    fn new(model: &'m M, finish: Finish, expected: usize, threads: usize) -> Search<'m, M> {
        let properties = model.properties();
        assert!(
            properties.iter().all(|p| p.expectation != Expectation::Eventually),
            "the explorer checks `always` and `sometimes` properties"
        );
        Search {
            model,
            found: properties.iter().map(|_| AtomicBool::new(false)).collect(),
            properties,
            finish,
            visited: Visited::new(expected),
            discoveries: Mutex::new(HashMap::new()),
            halt: AtomicBool::new(false),
            states: AtomicUsize::new(0),
            max_depth: AtomicUsize::new(0),
            pool: Pool::new(threads),
        }
    }

    fn counts(&self) -> Counts {
        Counts {
            unique_states: self.visited.len(),
            states: self.states.load(Ordering::Relaxed),
            max_depth: self.max_depth.load(Ordering::Relaxed),
        }
    }

    fn halted(&self) -> bool {
        self.halt.load(Ordering::Relaxed)
    }

    /// Evaluates every property not yet discovered at `state`, recording a discovery with the
    /// path `path` builds.
    fn check(&self, state: &M::State, path: impl Fn() -> Discovery<M::Action>) {
        for (i, p) in self.properties.iter().enumerate() {
            if self.found[i].load(Ordering::Relaxed) {
                continue;
            }
            let holds = (p.condition)(self.model, state);
            let discovered = match p.expectation {
                Expectation::Always => !holds,
                Expectation::Sometimes => holds,
                Expectation::Eventually => unreachable!("refused in Search::new"),
            };
            if discovered {
                self.discover(i, path());
            }
        }
    }

    fn discover(&self, i: usize, path: Discovery<M::Action>) {
        let mut discoveries = self.discoveries.lock().unwrap_or_else(PoisonError::into_inner);
        // Threads race to a discovery; the first recorded stays.
        discoveries.entry(self.properties[i].name).or_insert(path);
        self.found[i].store(true, Ordering::Relaxed);
        let failure = |p: &stateright::Property<M>| p.expectation.discovery_is_failure();
        let has = |p: &stateright::Property<M>| discoveries.contains_key(p.name);
        let finished = match self.finish {
            Finish::All => self.properties.iter().all(has),
            Finish::Any => true,
            Finish::AnyFailures => self.properties.iter().filter(|p| failure(p)).any(has),
            Finish::AllFailures => self.properties.iter().filter(|p| failure(p)).all(has),
        };
        if finished {
            self.halt.store(true, Ordering::Relaxed);
            self.pool.close();
        }
    }

    /// The initial states within the boundary and not seen before, each with its index.
    fn roots(&self, inserter: &mut super::visited::Inserter<'_>) -> Vec<(usize, M::State)> {
        let init = self.model.init_states();
        self.states.fetch_add(init.len(), Ordering::Relaxed);
        init.into_iter()
            .enumerate()
            .filter(|(_, s)| self.model.within_boundary(s) && inserter.insert(fingerprint(s)))
            .collect()
    }

    /// One depth-first thread: takes work from the pool until the pool closes.
    fn depth_first(&self) {
        let mut inserter = self.visited.inserter();
        if self.pool.first() {
            let pending = self
                .roots(&mut inserter)
                .into_iter()
                .map(|(i, state)| Pending {
                    state,
                    depth: 1,
                    made_by: Made::Init(i),
                })
                .collect();
            self.pool.give(Chunk {
                pending,
                root: 0,
                path: Vec::new(),
            });
        }
        let (mut actions, mut fps) = (Vec::new(), Vec::new());
        let (mut states, mut max_depth, mut since) = (0, 0, 0);
        while let Some(Chunk {
            pending: mut stack,
            mut root,
            mut path,
        }) = self.pool.take(&mut inserter)
        {
            while let Some(Pending { state, depth, made_by }) = stack.pop() {
                if self.halted() {
                    break;
                }
                max_depth = max_depth.max(depth);
                made_by.follow(depth, &mut root, &mut path);
                self.check(&state, || (root, path.clone()));
                // The successors go on the stack at once, and those seen before come off
                // again: the visited set is read for all of them before it is written for any.
                let base = stack.len();
                self.model.actions(&state, &mut actions);
                for a in actions.drain(..) {
                    let Some(next) = self.model.next_state(&state, a.clone()) else {
                        continue;
                    };
                    if !self.model.within_boundary(&next) {
                        continue;
                    }
                    states += 1;
                    let fp = fingerprint(&next);
                    inserter.touch(fp);
                    fps.push(fp);
                    stack.push(Pending {
                        state: next,
                        depth: depth + 1,
                        made_by: Made::Action(a),
                    });
                }
                let mut kept = base;
                for (i, fp) in (base..).zip(fps.drain(..)) {
                    if inserter.insert(fp) {
                        stack.swap(kept, i);
                        kept += 1;
                    }
                }
                stack.truncate(kept);
                if stack.len() >= 2 && self.pool.hungry() {
                    let rest = stack.split_off(stack.len() / 2);
                    let bottom = std::mem::replace(&mut stack, rest);
                    self.pool.give(Chunk {
                        pending: bottom,
                        root,
                        path: path.clone(),
                    });
                }
                since += 1;
                if since == BLOCK {
                    since = 0;
                    self.say(&mut states, max_depth);
                    inserter.pause();
                }
            }
            self.say(&mut states, max_depth);
        }
    }

    /// The shortest-first search, on one thread: depth first to a limit that grows by one
    /// step at a time (iterative deepening), so that memory is the path and the states seen,
    /// not a breadth-first frontier of whole states (gigabytes at 2×2 derived scopes). The
    /// limit's own states are checked in each round (the shallower ones were checked in the
    /// rounds before), so the first discovery is at the least depth any discovery has; and
    /// each round takes the actions in order, first action first, so among the shortest it
    /// is the first breadth-first order meets. A state is expanded again only when reached by
    /// a shorter path than before.
    fn shortest_first(&self) {
        let mut inserter = self.visited.inserter();
        self.states.fetch_add(self.model.init_states().len(), Ordering::Relaxed);
        let mut shallowest: FxMap<u64, usize> = FxMap::default();
        let (mut actions, mut successors) = (Vec::new(), Vec::new());
        let (mut states, mut since) = (0, 0);
        for limit in 1.. {
            shallowest.clear();
            let mut deeper = false;
            let mut stack: Vec<Pending<M::State, M::Action>> = (self.model.init_states().into_iter().enumerate())
                .filter(|(_, s)| self.model.within_boundary(s))
                .map(|(i, state)| Pending {
                    state,
                    depth: 1,
                    made_by: Made::Init(i),
                })
                .collect();
            stack.reverse();
            let (mut root, mut path) = (0, Vec::new());
            while let Some(Pending { state, depth, made_by }) = stack.pop() {
                if self.halted() {
                    break;
                }
                let fp = fingerprint(&state);
                if shallowest.get(&fp).is_some_and(|&d| d <= depth) {
                    continue;
                }
                shallowest.insert(fp, depth);
                inserter.insert(fp);
                made_by.follow(depth, &mut root, &mut path);
                self.max_depth.fetch_max(depth, Ordering::Relaxed);
                if depth == limit {
                    self.check(&state, || (root, path.clone()));
                }
                if depth == limit {
                    // Whether a longer round has anything to add: asked until one state says so.
                    if !deeper {
                        self.model.actions(&state, &mut actions);
                        deeper = !actions.is_empty();
                        actions.clear();
                    }
                    continue;
                }
                self.model.actions(&state, &mut actions);
                for a in actions.drain(..) {
                    let Some(next) = self.model.next_state(&state, a.clone()) else {
                        continue;
                    };
                    if !self.model.within_boundary(&next) {
                        continue;
                    }
                    if depth + 1 == limit {
                        states += 1;
                    }
                    successors.push(Pending {
                        state: next,
                        depth: depth + 1,
                        made_by: Made::Action(a),
                    });
                }
                // First action on top: it is popped first.
                stack.extend(successors.drain(..).rev());
                since += 1;
                if since == BLOCK {
                    since = 0;
                    self.say(&mut states, 0);
                }
            }
            self.say(&mut states, 0);
            if self.halted() || !deeper {
                break;
            }
        }
    }

    /// Adds a thread's counts to the shared ones.
    fn say(&self, states: &mut usize, max_depth: usize) {
        self.states.fetch_add(std::mem::take(states), Ordering::Relaxed);
        self.max_depth.fetch_max(max_depth, Ordering::Relaxed);
    }
}

/// The work the depth-first threads share, and the way they agree that it is all done: the
/// pool closes when every thread is waiting on it and it is empty (no thread holds work that
/// could add to it), or when the search halts.
struct Pool<W> {
    inner: Mutex<PoolInner<W>>,
    ready: Condvar,
    /// Threads waiting for work; a busy thread gives some when this is not 0.
    waiting: AtomicUsize,
    threads: usize,
}

struct PoolInner<W> {
    work: Vec<W>,
    waiting: usize,
    closed: bool,
    /// Whether a thread has claimed the initial states.
    started: bool,
}

impl<W> Pool<W> {
    fn new(threads: usize) -> Pool<W> {
        Pool {
            inner: Mutex::new(PoolInner {
                work: Vec::new(),
                waiting: 0,
                closed: false,
                started: false,
            }),
            ready: Condvar::new(),
            waiting: AtomicUsize::new(0),
            threads,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PoolInner<W>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the caller is the first thread, the one to seed the pool.
    fn first(&self) -> bool {
        !std::mem::replace(&mut self.lock().started, true)
    }

    fn hungry(&self) -> bool {
        self.waiting.load(Ordering::Relaxed) > 0
    }

    fn give(&self, work: W) {
        self.lock().work.push(work);
        self.ready.notify_one();
    }

    fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_all();
    }

    /// The next piece of work, waiting for one; `None` once the pool is closed. The thread
    /// gives up its hold on the visited set while it waits, so that the set can grow.
    fn take(&self, inserter: &mut super::visited::Inserter<'_>) -> Option<W> {
        inserter.pause();
        let mut inner = self.lock();
        loop {
            if inner.closed {
                return None;
            }
            if let Some(work) = inner.work.pop() {
                return Some(work);
            }
            inner.waiting += 1;
            if inner.waiting == self.threads && inner.started {
                inner.closed = true;
                self.ready.notify_all();
                return None;
            }
            self.waiting.store(inner.waiting, Ordering::Relaxed);
            inner = self.ready.wait(inner).unwrap_or_else(PoisonError::into_inner);
            inner.waiting -= 1;
            self.waiting.store(inner.waiting, Ordering::Relaxed);
        }
    }
}

/// `differential_*`: this explorer against stateright's own checker, on every bundled model
/// small enough for both: the same unique states, the same properties discovered, and
/// counterexamples no longer than stateright's breadth-first ones.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::model::JoinModel;
    use crate::engine::{with_profile_engine, ModelEngine, WithEngine};
    use crate::model::JoinSpec;
    use stateright::{Checker, HasDiscoveries};
    use std::collections::BTreeSet;

    /// Checks one model both ways; the number of states it has.
    struct Compare<'a>(&'a JoinSpec);

    impl WithEngine for Compare<'_> {
        type Output = usize;

        fn call<E: ModelEngine>(self, engine: E) -> usize {
            let spec = self.0;
            let scope = spec.checker_scope().expect("bundled models have scopes").clone();
            let model = JoinModel::new(spec.params, scope, engine);
            let theirs = model.fresh().checker().spawn_dfs().join();
            let their_found: BTreeSet<&str> = theirs.discoveries().into_keys().collect();
            let their_states = theirs.unique_state_count();
            for threads in [1, 2] {
                let ours = explore(&model.fresh(), Order::Depth, threads, Finish::All, 0, &mut |_| {});
                let our_found: BTreeSet<&str> = ours.discoveries.keys().copied().collect();
                let name = &spec.name;
                assert_eq!(our_found, their_found, "{name}, {threads} threads: discoveries");
                if their_found.len() < model.properties().len() {
                    // Neither search ended early: both covered the whole space.
                    assert_eq!(
                        ours.counts.unique_states,
                        theirs.unique_state_count(),
                        "{name}, {threads} threads: unique states"
                    );
                }
                if threads == 1 {
                    assert_eq!(ours.counts.states, theirs.state_count(), "{name}: states generated");
                    assert_eq!(ours.counts.max_depth, theirs.max_depth(), "{name}: depth");
                }
            }
            for p in model.properties() {
                if p.expectation != Expectation::Always || !their_found.contains(p.name) {
                    continue;
                }
                let property = crate::property::Property::ALL
                    .into_iter()
                    .find(|q| q.name() == p.name)
                    .expect("a property of the model");
                let only = model.only(property);
                let theirs = only
                    .fresh()
                    .checker()
                    .finish_when(HasDiscoveries::Any)
                    .spawn_bfs()
                    .join();
                let their_steps = theirs.discoveries().remove(p.name).expect("found").into_actions().len();
                let ours = explore(&only.fresh(), Order::Shortest, 1, Finish::Any, 0, &mut |_| {});
                let (_, our_path) = &ours.discoveries[p.name];
                assert!(
                    our_path.len() <= their_steps,
                    "{}: {} has a counterexample of {} steps, stateright's has {their_steps}",
                    spec.name,
                    p.name,
                    our_path.len()
                );
            }
            their_states
        }
    }

    #[test]
    fn differential_explorer_agrees_with_stateright_on_the_bundled_models() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("models/")
            .map(|e| e.expect("an entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        let mut compared = 0;
        for file in files {
            let spec = JoinSpec::load(&file).expect("a bundled model loads");
            let Ok(scope) = spec.checker_scope() else { continue };
            let bound = crate::checker::estimate::state_bound(
                scope,
                &crate::model::TimeDomain::new(&spec.params, scope.time_range, scope.origin()),
                spec.params.watermark.source,
                &crate::checker::Options::default(),
            );
            // Both checkers run each model three times or more: the small ones only.
            if bound > 400_000 {
                continue;
            }
            let states = with_profile_engine(spec.params, Compare(&spec));
            assert!(states > 100, "{}: a scope worth comparing", spec.name);
            compared += 1;
        }
        assert!(
            compared >= 5,
            "only {compared} bundled models were small enough to compare"
        );
    }
}
