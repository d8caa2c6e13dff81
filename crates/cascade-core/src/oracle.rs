//! Oracles: how a protocol learns prices. Each oracle reads sources (a venue's spot price, an asset's
//! reference price, another oracle, a constant), combines or filters them, and publishes a value that
//! the protocol sees `latency_blocks` later.

use std::collections::VecDeque;

use crate::ids::{AssetId, OracleId, VenueId};
use crate::mechanism::maker::OsmOracle;

/// Where an oracle reads a price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PriceSource {
    /// The spot (marginal) price of a venue, after this block's arbitrage.
    Venue(VenueId),
    /// An asset's reference price (an external index, e.g. a CEX aggregate).
    Reference(AssetId),
    /// Another oracle's published value (it must come earlier in the oracle list).
    Oracle(OracleId),
    /// A fixed price (a stablecoin taken at $1).
    Constant(f64),
}

/// How an oracle turns its sources into a value.
#[derive(Debug, Clone, PartialEq)]
pub enum OracleKind {
    /// The source's current value.
    Spot { source: PriceSource },
    /// The arithmetic mean of the source over the last `window_blocks` blocks (Uniswap v2 TWAP: each
    /// block's closing price weighted by the block's duration, all blocks being equally long).
    Twap {
        source: PriceSource,
        window_blocks: u32,
    },
    /// The median of several sources (the mean of the two middle ones for an even count).
    Median { sources: Vec<PriceSource> },
    /// Chainlink-style push: publishes the source only when it deviates from the last published value
    /// by more than `deviation` (a fraction) or when `heartbeat_blocks` have passed since the last update.
    Push {
        source: PriceSource,
        deviation: f64,
        heartbeat_blocks: u32,
    },
    /// Maker's Oracle Security Module (`mechanism::maker::OsmOracle`) in blocks: a `poke` is
    /// allowed once per `hop_blocks` (aligned to multiples of it) and moves the queued value to the
    /// current one, so protocols see the source as it was one to two hops ago.
    Osm {
        source: PriceSource,
        hop_blocks: u64,
    },
}

impl OracleKind {
    /// The value of the oracle's sources now, before any averaging, filtering or latency: the one
    /// source, or the median of several.
    pub fn read_sources(&self, read: impl Fn(PriceSource) -> f64) -> f64 {
        match self {
            OracleKind::Spot { source }
            | OracleKind::Twap { source, .. }
            | OracleKind::Push { source, .. }
            | OracleKind::Osm { source, .. } => read(*source),
            OracleKind::Median { sources } => {
                median(sources.iter().map(|source| read(*source)).collect())
            }
        }
    }
}

/// An oracle's definition.
#[derive(Debug, Clone, PartialEq)]
pub struct OracleModel {
    pub name: String,
    pub kind: OracleKind,
    /// The protocol sees the value published this many blocks ago (0: this block's).
    pub latency_blocks: u32,
}

/// An oracle's moving parts.
#[derive(Debug, Clone, PartialEq)]
pub struct OracleState {
    /// Recent source values for a TWAP (at most `window_blocks`), newest last.
    window: VecDeque<f64>,
    window_sum: f64,
    /// For a push oracle: the last published value and when it was published.
    last_published: f64,
    last_update_block: u64,
    /// Published values not yet visible (latency), newest last; holds `latency_blocks + 1` values.
    published: VecDeque<f64>,
    /// What the protocol sees now.
    pub visible: f64,
    /// The sources' value at the last update.
    source_value: f64,
    /// For an OSM: its current and queued values.
    osm: Option<OsmOracle>,
}

impl OracleState {
    /// A state that has published `initial` forever (no warm-up transient at block 0).
    pub fn new(model: &OracleModel, initial: f64) -> Self {
        let window_len = match model.kind {
            OracleKind::Twap { window_blocks, .. } => window_blocks.max(1) as usize,
            _ => 1,
        };
        OracleState {
            window: std::iter::repeat_n(initial, window_len).collect(),
            window_sum: initial * window_len as f64,
            last_published: initial,
            last_update_block: 0,
            published: std::iter::repeat_n(initial, model.latency_blocks as usize + 1).collect(),
            visible: initial,
            source_value: initial,
            osm: match model.kind {
                OracleKind::Osm { hop_blocks, .. } => {
                    Some(OsmOracle::new(hop_blocks, Some(initial), 0))
                }
                _ => None,
            },
        }
    }

    /// Advances the oracle to `block` with `read` giving each source's value now. Returns the
    /// value the protocol sees from this block on.
    pub fn update(
        &mut self,
        model: &OracleModel,
        block: u64,
        read: impl Fn(PriceSource) -> f64,
    ) -> f64 {
        let value = model.kind.read_sources(read);
        self.source_value = value;
        let published = match &model.kind {
            OracleKind::Spot { .. } | OracleKind::Median { .. } => value,
            OracleKind::Twap { .. } => {
                let oldest = self
                    .window
                    .pop_front()
                    .expect("the TWAP window is never empty");
                self.window.push_back(value);
                self.window_sum += value - oldest;
                // Re-sum now and then so rounding in the running sum cannot drift.
                if block.is_multiple_of(1024) {
                    self.window_sum = self.window.iter().sum();
                }
                self.window_sum / self.window.len() as f64
            }
            OracleKind::Push {
                deviation,
                heartbeat_blocks,
                ..
            } => {
                let moved = (value / self.last_published - 1.0).abs() > *deviation;
                let stale =
                    block.saturating_sub(self.last_update_block) >= u64::from(*heartbeat_blocks);
                if moved || stale {
                    self.last_published = value;
                    self.last_update_block = block;
                }
                self.last_published
            }
            OracleKind::Osm { .. } => {
                let osm = self.osm.as_mut().expect("an OSM oracle has its state");
                osm.poke(Some(value), block);
                osm.peek().unwrap_or(value)
            }
        };
        self.published.pop_front();
        self.published.push_back(published);
        self.visible = *self
            .published
            .front()
            .expect("latency queue is never empty");
        self.visible
    }
}

impl OracleState {
    /// Whether the oracle would keep showing what it shows now if its sources stayed where they were at
    /// the last update: its TWAP window, its latency queue and (for a push oracle) its last published
    /// value all agree with the sources within `tolerance` (relative).
    pub fn is_settled(&self, model: &OracleModel, tolerance: f64) -> bool {
        let current = self.source_value;
        let near = |value: f64| (value / current - 1.0).abs() <= tolerance;
        let window_settled = match model.kind {
            OracleKind::Twap { .. } => self.window.iter().all(|&value| near(value)),
            OracleKind::Osm { .. } => self
                .osm
                .as_ref()
                .is_none_or(|osm| osm.peek().is_none_or(near) && osm.peep().is_none_or(near)),
            _ => true,
        };
        window_settled && self.published.iter().all(|&value| near(value)) && near(self.visible)
    }
}

/// The median of `values` (mean of the middle two for an even count).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(kind: OracleKind, latency_blocks: u32) -> OracleModel {
        OracleModel {
            name: "test".into(),
            kind,
            latency_blocks,
        }
    }

    #[test]
    fn test_twap_averages_the_window() {
        // Window 4 starting full of 100; readings 80, 80 -> (100+100+80+80)/4 = 90.
        let m = model(
            OracleKind::Twap {
                source: PriceSource::Constant(0.0),
                window_blocks: 4,
            },
            0,
        );
        let mut state = OracleState::new(&m, 100.0);
        state.update(&m, 1, |_| 80.0);
        assert_eq!(state.update(&m, 2, |_| 80.0), 90.0);
    }

    #[test]
    fn test_push_oracle_waits_for_deviation_or_heartbeat() {
        let m = model(
            OracleKind::Push {
                source: PriceSource::Constant(0.0),
                deviation: 0.01,
                heartbeat_blocks: 10,
            },
            0,
        );
        let mut state = OracleState::new(&m, 100.0);
        assert_eq!(state.update(&m, 1, |_| 99.5), 100.0); // 0.5% < 1%: no update
        assert_eq!(state.update(&m, 2, |_| 98.9), 98.9); // 1.1%: update
        assert_eq!(state.update(&m, 11, |_| 98.8), 98.9); // 0.1% and 9 blocks since: no update
        assert_eq!(state.update(&m, 12, |_| 98.8), 98.8); // 10 blocks: heartbeat
    }

    #[test]
    fn test_latency_delays_what_the_protocol_sees() {
        let m = model(
            OracleKind::Spot {
                source: PriceSource::Constant(0.0),
            },
            2,
        );
        let mut state = OracleState::new(&m, 10.0);
        assert_eq!(state.update(&m, 1, |_| 11.0), 10.0);
        assert_eq!(state.update(&m, 2, |_| 12.0), 10.0);
        assert_eq!(state.update(&m, 3, |_| 13.0), 11.0);
    }

    #[test]
    fn test_osm_shows_the_previous_hop() {
        // hop 3: pokes at blocks 3, 6, 9. The value read at block 3 becomes visible at block 6.
        let m = model(
            OracleKind::Osm {
                source: PriceSource::Constant(0.0),
                hop_blocks: 3,
            },
            0,
        );
        let mut state = OracleState::new(&m, 100.0);
        assert_eq!(state.update(&m, 1, |_| 90.0), 100.0);
        assert_eq!(state.update(&m, 3, |_| 80.0), 100.0); // poke: cur = 100 (queued), nxt = 80
        assert_eq!(state.update(&m, 5, |_| 70.0), 100.0); // no poke yet
        assert_eq!(state.update(&m, 6, |_| 70.0), 80.0); // poke: cur = 80, nxt = 70
        assert!(!state.is_settled(&m, 1e-6));
    }

    #[test]
    fn test_median_of_even_and_odd_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
