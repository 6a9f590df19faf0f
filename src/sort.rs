//! One sort for the module's sorts off the hot path. Every `sort_by` over another element type or with another
//! closure is another copy of std's sort in the WebAssembly (3-6 KB each: seven sites came to about 29 KB raw,
//! README "Size work"). Those sites sort through [`sorted`] instead: std's sort is instantiated once, over
//! positions, and the comparison is called through a reference. The one sort on every load (the snapshot check's
//! id set, `snapshot::IdSet`) keeps its own: through this one it measured ~13% slower on a 1,000-lot load.

use std::cmp::Ordering;

/// The positions `0..n` in the order `cmp` gives them; positions that compare equal keep their order.
fn order(n: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut at: Vec<usize> = (0..n).collect();
    at.sort_unstable_by(|&a, &b| cmp(a, b).then(a.cmp(&b)));
    at
}

/// `items` in the order `cmp` gives them, stable: items that compare equal keep their order.
pub fn sorted<T: Clone>(items: &[T], cmp: &dyn Fn(&T, &T) -> Ordering) -> Vec<T> {
    order(items.len(), &|a, b| match (items.get(a), items.get(b)) {
        (Some(x), Some(y)) => cmp(x, y),
        _ => Ordering::Equal,
    })
    .into_iter()
    .filter_map(|i| items.get(i).cloned())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::sorted;

    #[test]
    fn sorts_like_std_stable_sort() {
        let mut next = crate::testing::xorshift(0x9e37_79b9_7f4a_7c15);
        for n in [0usize, 1, 2, 3, 7, 20, 21, 100, 1_000] {
            // Few distinct keys, so equal keys are common and stability shows.
            let items: Vec<(u64, usize)> = (0..n).map(|i| (next() % 5, i)).collect();
            let mut expected = items.clone();
            expected.sort_by_key(|a| a.0);
            assert_eq!(sorted(&items, &|a, b| a.0.cmp(&b.0)), expected);
            let mut want = items.clone();
            want.sort_by_key(|b| std::cmp::Reverse(b.0));
            assert_eq!(sorted(&items, &|a, b| b.0.cmp(&a.0)), want);
        }
    }
}
