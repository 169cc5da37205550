//! CPU-bound work over many independent items, on every core.

/// Fewest items per thread: below this, starting a thread costs more than it saves.
const PER_THREAD: usize = 64;

/// `f` over `items`, in order, split across the machine's cores when there
/// are enough items (`PER_THREAD` each at least) to make threads worth starting.
pub fn map<T: Send, U: Send>(items: Vec<T>, f: impl Fn(T) -> U + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len() / PER_THREAD)
        .max(1);
    if threads == 1 {
        return items.into_iter().map(f).collect();
    }
    let size = items.len().div_ceil(threads);
    let mut parts: Vec<Vec<T>> = Vec::with_capacity(threads);
    let mut items = items.into_iter();
    loop {
        let part: Vec<T> = items.by_ref().take(size).collect();
        if part.is_empty() {
            break;
        }
        parts.push(part);
    }
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| scope.spawn(move || part.into_iter().map(f).collect::<Vec<U>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_order_of_many_items() {
        let items: Vec<usize> = (0..1000).collect();
        let threads = std::sync::Mutex::new(std::collections::HashSet::new());
        let out = map(items, |i| {
            threads.lock().unwrap().insert(std::thread::current().id());
            i * 2
        });
        assert_eq!(out, (0..1000).map(|i| i * 2).collect::<Vec<_>>());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(threads.lock().unwrap().len(), cores.min(1000 / PER_THREAD));
    }

    #[test]
    fn few_items_stay_on_the_calling_thread() {
        let me = std::thread::current().id();
        let out = map(vec![1, 2, 3], |i| (i, std::thread::current().id() == me));
        assert_eq!(out, vec![(1, true), (2, true), (3, true)]);
    }
}
