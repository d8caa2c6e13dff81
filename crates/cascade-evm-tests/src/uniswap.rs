//! Uniswap v2 (`@uniswap/v2-core` 1.0.1): the factory deployed from the package's bytecode, pairs
//! created by it, liquidity added and swaps made the way the periphery router would (tokens sent
//! to the pair first, then `swap`).
//!
//! The pair does not compute a swap's output: it accepts any output that keeps
//! `(balance0 * 1000 - in0 * 3) * (balance1 * 1000 - in1 * 3) >= reserve0 * reserve1 * 1000^2` (the
//! "K" check, the 0.3% fee taken on the input), so the largest output it accepts for an input is the
//! real `getAmountOut`, and the smallest input it accepts for an output the real `getAmountIn`. The
//! test tokens are `MintableERC20` from `@aave/core-v3`'s mocks.

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{sol, SolValue};

use crate::aave::IMintableERC20;
use crate::artifact::{with_arguments, ArtifactStore};
use crate::chain::{Chain, Failure, State};

sol! {
    interface IUniswapV2Factory {
        function createPair(address tokenA, address tokenB) external returns (address pair);
    }

    interface IUniswapV2Pair {
        function token0() external view returns (address);
        function getReserves() external view returns (
            uint112 reserve0,
            uint112 reserve1,
            uint32 blockTimestampLast
        );
        function mint(address to) external returns (uint256 liquidity);
        function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external;
        function sync() external;
    }
}

/// Deploys the tokens and the factory; trades happen from [`TRADER`].
pub const DEPLOYER: Address =
    alloy_primitives::address!("00000000000000000000000000000000000b0001");
/// Adds liquidity, sends inputs and receives outputs.
pub const TRADER: Address = alloy_primitives::address!("00000000000000000000000000000000000b0002");

/// A token listed for the tests.
#[derive(Debug, Clone)]
pub struct Token {
    pub symbol: String,
    pub decimals: u8,
    pub address: Address,
}

/// The factory and the test tokens, deployed; pairs are created in forks.
#[derive(Debug)]
pub struct UniswapV2 {
    pub factory: Address,
    pub tokens: Vec<Token>,
    state: State,
}

/// One pair, seen as base/quote whatever the pair's own token order.
#[derive(Debug, Clone, Copy)]
pub struct Pair {
    pub address: Address,
    pub base: Address,
    pub quote: Address,
    /// Whether the base token is the pair's `token0`.
    base_is_token0: bool,
}

/// Which way a swap goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Base in, quote out (a sale of the base asset).
    SellBase,
    /// Quote in, base out.
    BuyBase,
}

impl UniswapV2 {
    /// Deploys `UniswapV2Factory` and one `MintableERC20` per `(symbol, decimals)`.
    pub fn deploy(store: &ArtifactStore, tokens: &[(&str, u8)]) -> UniswapV2 {
        let mut chain = Chain::new();
        let factory = chain.deploy(
            DEPLOYER,
            with_arguments(
                store.uniswap("UniswapV2Factory").code(),
                DEPLOYER.abi_encode(),
            ),
        );
        let erc20 = store.aave("MintableERC20");
        let tokens = tokens
            .iter()
            .map(|&(symbol, decimals)| Token {
                symbol: symbol.to_string(),
                decimals,
                address: chain.deploy(
                    DEPLOYER,
                    with_arguments(
                        erc20.code(),
                        (symbol.to_string(), symbol.to_string(), U256::from(decimals))
                            .abi_encode_params(),
                    ),
                ),
            })
            .collect();
        UniswapV2 {
            factory,
            tokens,
            state: chain.state().clone(),
        }
    }

    /// A chain holding a copy of the deployed factory and tokens.
    pub fn fork(&self) -> Chain {
        Chain::with_state(self.state.clone())
    }

    /// Creates the pair of two tokens (by index) and adds `base_reserve` / `quote_reserve` base
    /// units of liquidity.
    pub fn create_pair(
        &self,
        chain: &mut Chain,
        base: usize,
        quote: usize,
        base_reserve: U256,
        quote_reserve: U256,
    ) -> Pair {
        let (base, quote) = (self.tokens[base].address, self.tokens[quote].address);
        let address = chain.must_send(
            DEPLOYER,
            self.factory,
            &IUniswapV2Factory::createPairCall {
                tokenA: base,
                tokenB: quote,
            },
        );
        let token0 = chain.view(address, &IUniswapV2Pair::token0Call {});
        let pair = Pair {
            address,
            base,
            quote,
            base_is_token0: token0 == base,
        };
        pair.send_in(chain, base, base_reserve);
        pair.send_in(chain, quote, quote_reserve);
        chain.must_send(TRADER, address, &IUniswapV2Pair::mintCall { to: TRADER });
        pair
    }
}

impl Pair {
    /// `(base reserve, quote reserve)`.
    pub fn reserves(&self, chain: &mut Chain) -> (U256, U256) {
        let reserves = chain.view(self.address, &IUniswapV2Pair::getReservesCall {});
        let (r0, r1) = (U256::from(reserves.reserve0), U256::from(reserves.reserve1));
        if self.base_is_token0 {
            (r0, r1)
        } else {
            (r1, r0)
        }
    }

    /// `(reserve in, reserve out)` for a swap in `direction`.
    pub fn reserves_for(&self, chain: &mut Chain, direction: Direction) -> (U256, U256) {
        let (base, quote) = self.reserves(chain);
        match direction {
            Direction::SellBase => (base, quote),
            Direction::BuyBase => (quote, base),
        }
    }

    /// Mints `amount` of `token` to the trader, who sends it to the pair.
    pub fn send_in(&self, chain: &mut Chain, token: Address, amount: U256) {
        chain.must_send(
            TRADER,
            token,
            &IMintableERC20::mintCall {
                account: TRADER,
                value: amount,
            },
        );
        chain.must_send(
            TRADER,
            token,
            &IMintableERC20::transferCall {
                recipient: self.address,
                amount,
            },
        );
    }

    /// Sends `amount_in` of the input token of `direction` to the pair.
    pub fn send_input(&self, chain: &mut Chain, direction: Direction, amount_in: U256) {
        let token = match direction {
            Direction::SellBase => self.base,
            Direction::BuyBase => self.quote,
        };
        self.send_in(chain, token, amount_in);
    }

    /// `swap`, asking for `amount_out` of the output token of `direction`, to the trader.
    pub fn swap(
        &self,
        chain: &mut Chain,
        direction: Direction,
        amount_out: U256,
    ) -> Result<(), Failure> {
        let out_is_token0 = (direction == Direction::BuyBase) == self.base_is_token0;
        let (amount0_out, amount1_out) = if out_is_token0 {
            (amount_out, U256::ZERO)
        } else {
            (U256::ZERO, amount_out)
        };
        chain.send(
            TRADER,
            self.address,
            &IUniswapV2Pair::swapCall {
                amount0Out: amount0_out,
                amount1Out: amount1_out,
                to: TRADER,
                data: Bytes::new(),
            },
        )?;
        Ok(())
    }

    /// `sync`: the reserves take up whatever was sent to the pair without a swap.
    pub fn sync(&self, chain: &mut Chain) {
        chain.must_send(TRADER, self.address, &IUniswapV2Pair::syncCall {});
    }
}
