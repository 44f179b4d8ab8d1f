//! N-gram multisets without hashing every n-gram's content: an n-gram's id is the id of
//! (its first n−1 items' id, its last item), so equal n-grams of any texts that share an
//! [`Interner`] get equal ids, and counting is array indexing.

use rustc_hash::FxHashMap;

/// N-gram ids of the texts of one segment.
#[derive(Default)]
pub(crate) struct Interner {
    map: FxHashMap<u64, u32>,
}

/// The parent of unigrams; a distinct root keeps another family of n-grams (chrF++'s
/// words next to its characters) apart.
pub(crate) const ROOT: u32 = u32::MAX;
pub(crate) const WORD_ROOT: u32 = u32::MAX - 1;

impl Interner {
    /// An interner for about `grams` n-grams, so that filling it does not rehash.
    pub(crate) fn with_capacity(grams: usize) -> Interner {
        Interner {
            map: FxHashMap::with_capacity_and_hasher(grams, Default::default()),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    fn id(&mut self, prefix: u32, item: u32) -> u32 {
        let next = self.map.len() as u32;
        *self
            .map
            .entry((u64::from(prefix) << 32) | u64::from(item))
            .or_insert(next)
    }

    /// The ids of `items`' n-grams of orders 1..=`orders`, one list per order, pushed to
    /// `out`.
    pub(crate) fn grams(
        &mut self,
        items: &[u32],
        orders: usize,
        root: u32,
        out: &mut Vec<Vec<u32>>,
    ) {
        let mut prev = vec![root; items.len()];
        for n in 1..=orders {
            let count = (items.len() + 1).saturating_sub(n);
            let cur: Vec<u32> = (0..count)
                .map(|i| self.id(prev[i], items[i + n - 1]))
                .collect();
            prev.clone_from(&cur);
            out.push(cur);
        }
    }
}

/// Counts by id, with the distinct ids of each order, for one text.
pub(crate) struct Counted {
    pub(crate) counts: Vec<u32>,
    pub(crate) distinct: Vec<Vec<u32>>,
}

impl Counted {
    pub(crate) fn new(grams: &[Vec<u32>], size: usize) -> Counted {
        let mut counts = vec![0u32; size];
        let distinct = grams
            .iter()
            .map(|order| {
                let mut d = Vec::new();
                for &id in order {
                    let c = &mut counts[id as usize];
                    if *c == 0 {
                        d.push(id);
                    }
                    *c += 1;
                }
                d
            })
            .collect();
        Counted { counts, distinct }
    }
}

/// Adds `grams`' counts into `counts` (which the caller zeroes again with [`clear`]).
pub(crate) fn add(counts: &mut [u32], grams: &[Vec<u32>]) {
    for order in grams {
        for &id in order {
            counts[id as usize] += 1;
        }
    }
}

pub(crate) fn clear(counts: &mut [u32], grams: &[Vec<u32>]) {
    for order in grams {
        for &id in order {
            counts[id as usize] = 0;
        }
    }
}
