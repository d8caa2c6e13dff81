//! Small dense ids: every piece of state lives in a `Vec` indexed by one of these.

use serde::Serialize;

macro_rules! dense_id {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub struct $name(pub $inner);

        impl $name {
            /// The index into the dense `Vec` this id names.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

dense_id!(
    /// An asset (ETH, WBTC, USDC...).
    AssetId(u16)
);
dense_id!(
    /// A trading venue (an AMM pool or an order book) for one asset against the quote currency.
    VenueId(u16)
);
dense_id!(
    /// A price oracle.
    OracleId(u16)
);
dense_id!(
    /// A protocol (a lending market).
    ProtocolId(u16)
);
dense_id!(
    /// An account (a borrower's position) inside one protocol.
    AccountId(u32)
);
dense_id!(
    /// A keeper (liquidator).
    KeeperId(u16)
);
