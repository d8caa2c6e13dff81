//! A minimal Aave v3.0 market (`@aave/core-v3` 1.19.3) deployed from the package's bytecode, the way
//! its deployment scripts do it, and the handful of calls a liquidation test needs.
//!
//! Deployment, in order: `PoolAddressesProvider`; the ACL admin and `ACLManager` (the admin is
//! made pool admin); the logic libraries linked into `Pool` (and `ConfiguratorLogic` into
//! `PoolConfigurator`), whose implementations the provider puts behind its proxies; one
//! `MintableERC20` and one `MockAggregator` price feed (8 decimals) per asset; `AaveOracle` over those
//! feeds (USD base currency, unit 1e8); the aToken, stable and variable debt token implementations
//! and a `DefaultReserveInterestRateStrategy`; `PoolConfigurator.initReserves` for every asset, then
//! borrowing enabled and collateral parameters set. A liquidity provider supplies a large amount of
//! every asset, the borrower and the liquidator approve the pool, and the liquidator holds a large
//! balance of every asset.
//!
//! Tests fork that state per case ([`AaveMarket::fork`]) and change the collateral parameters and
//! prices of the fork as the case needs.

use std::collections::BTreeMap;

use alloy_primitives::{Address, Bytes, I256, U256};
use alloy_sol_types::{sol, SolValue};

use crate::artifact::{with_arguments, ArtifactStore};
use crate::chain::{Chain, Failure, State};

sol! {
    interface IPoolAddressesProvider {
        function setACLAdmin(address newAclAdmin) external;
        function setACLManager(address newAclManager) external;
        function setPoolImpl(address newPoolImpl) external;
        function setPoolConfiguratorImpl(address newPoolConfiguratorImpl) external;
        function setPriceOracle(address newPriceOracle) external;
        function getPool() external view returns (address);
        function getPoolConfigurator() external view returns (address);
    }

    interface IACLManager {
        function addPoolAdmin(address admin) external;
    }

    /// `ConfiguratorInputTypes.InitReserveInput` of v3.0.
    struct InitReserveInput {
        address aTokenImpl;
        address stableDebtTokenImpl;
        address variableDebtTokenImpl;
        uint8 underlyingAssetDecimals;
        address interestRateStrategyAddress;
        address underlyingAsset;
        address treasury;
        address incentivesController;
        string aTokenName;
        string aTokenSymbol;
        string variableDebtTokenName;
        string variableDebtTokenSymbol;
        string stableDebtTokenName;
        string stableDebtTokenSymbol;
        bytes params;
    }

    interface IPoolConfigurator {
        function initReserves(InitReserveInput[] calldata input) external;
        function setReserveBorrowing(address asset, bool enabled) external;
        function configureReserveAsCollateral(
            address asset,
            uint256 ltv,
            uint256 liquidationThreshold,
            uint256 liquidationBonus
        ) external;
        function setLiquidationProtocolFee(address asset, uint256 newFee) external;
    }

    /// `DataTypes.ReserveData` of v3.0.
    struct ReserveData {
        uint256 configuration;
        uint128 liquidityIndex;
        uint128 currentLiquidityRate;
        uint128 variableBorrowIndex;
        uint128 currentVariableBorrowRate;
        uint128 currentStableBorrowRate;
        uint40 lastUpdateTimestamp;
        uint16 id;
        address aTokenAddress;
        address stableDebtTokenAddress;
        address variableDebtTokenAddress;
        address interestRateStrategyAddress;
        uint128 accruedToTreasury;
        uint128 unbacked;
        uint128 isolationModeTotalDebt;
    }

    interface IPool {
        function supply(address asset, uint256 amount, address onBehalfOf, uint16 referralCode) external;
        function borrow(
            address asset,
            uint256 amount,
            uint256 interestRateMode,
            uint16 referralCode,
            address onBehalfOf
        ) external;
        function liquidationCall(
            address collateralAsset,
            address debtAsset,
            address user,
            uint256 debtToCover,
            bool receiveAToken
        ) external;
        function getUserAccountData(address user) external view returns (
            uint256 totalCollateralBase,
            uint256 totalDebtBase,
            uint256 availableBorrowsBase,
            uint256 currentLiquidationThreshold,
            uint256 ltv,
            uint256 healthFactor
        );
        function getReserveData(address asset) external view returns (ReserveData memory);
    }

    interface IMintableERC20 {
        function mint(address account, uint256 value) external returns (bool);
        function approve(address spender, uint256 amount) external returns (bool);
        function transfer(address recipient, uint256 amount) external returns (bool);
        function balanceOf(address account) external view returns (uint256);
    }

    interface IAggregator {
        function latestAnswer() external view returns (int256);
    }
}

/// `MockAggregator`'s only state variable, `int256 private _latestAnswer`, is in slot 0.
const AGGREGATOR_ANSWER_SLOT: u64 = 0;

/// 1 ray = 1e27, Aave's unit of indexes and rates.
pub fn ray() -> U256 {
    U256::from(10u8).pow(U256::from(27u8))
}

/// Fixed actors of the market.
pub mod actors {
    use alloy_primitives::{address, Address};
    pub const ADMIN: Address = address!("00000000000000000000000000000000000a0001");
    pub const LIQUIDITY_PROVIDER: Address = address!("00000000000000000000000000000000000a0002");
    pub const BORROWER: Address = address!("00000000000000000000000000000000000a0003");
    pub const LIQUIDATOR: Address = address!("00000000000000000000000000000000000a0004");
    pub const TREASURY: Address = address!("00000000000000000000000000000000000a0005");
}
use actors::*;

/// One listed asset.
#[derive(Debug, Clone)]
pub struct Reserve {
    pub symbol: String,
    pub decimals: u8,
    pub asset: Address,
    pub a_token: Address,
    pub variable_debt_token: Address,
    pub price_feed: Address,
}

/// The deployed market: addresses, and the state right after setup.
#[derive(Debug)]
pub struct AaveMarket {
    pub provider: Address,
    pub pool: Address,
    pub configurator: Address,
    pub oracle: Address,
    pub reserves: Vec<Reserve>,
    state: State,
}

/// What the liquidity provider supplies of every asset, and the liquidator holds, in whole tokens.
const LIQUIDITY_TOKENS: u64 = 1_000_000_000_000;

impl AaveMarket {
    /// Deploys the market with one reserve per `(symbol, decimals)`, every one priced at $1 and
    /// configured with LTV 75%, liquidation threshold 80%, bonus 5%, protocol fee 10% until a test
    /// changes them.
    pub fn deploy(store: &ArtifactStore, assets: &[(&str, u8)]) -> AaveMarket {
        let mut chain = Chain::new();
        let provider = chain.deploy(
            ADMIN,
            with_arguments(
                store.aave("PoolAddressesProvider").code(),
                ("cascade".to_string(), ADMIN).abi_encode_params(),
            ),
        );
        chain.must_send(
            ADMIN,
            provider,
            &IPoolAddressesProvider::setACLAdminCall { newAclAdmin: ADMIN },
        );
        let acl = chain.deploy(
            ADMIN,
            with_arguments(store.aave("ACLManager").code(), provider.abi_encode()),
        );
        chain.must_send(
            ADMIN,
            provider,
            &IPoolAddressesProvider::setACLManagerCall { newAclManager: acl },
        );
        chain.must_send(ADMIN, acl, &IACLManager::addPoolAdminCall { admin: ADMIN });

        // Libraries, each deployed once and linked wherever referenced.
        let mut libraries = BTreeMap::new();
        let pool_artifact = store.aave("Pool");
        let configurator_artifact = store.aave("PoolConfigurator");
        for artifact in [&pool_artifact, &configurator_artifact] {
            for library in artifact.link_references.keys() {
                deploy_library(&mut chain, store, library, &mut libraries);
            }
        }
        let pool_impl = chain.deploy(
            ADMIN,
            with_arguments(pool_artifact.link(&libraries), provider.abi_encode()),
        );
        chain.must_send(
            ADMIN,
            provider,
            &IPoolAddressesProvider::setPoolImplCall {
                newPoolImpl: pool_impl,
            },
        );
        let pool = chain.view(provider, &IPoolAddressesProvider::getPoolCall {});
        let configurator_impl = chain.deploy(ADMIN, configurator_artifact.link(&libraries));
        chain.must_send(
            ADMIN,
            provider,
            &IPoolAddressesProvider::setPoolConfiguratorImplCall {
                newPoolConfiguratorImpl: configurator_impl,
            },
        );
        let configurator = chain.view(
            provider,
            &IPoolAddressesProvider::getPoolConfiguratorCall {},
        );

        // Tokens and price feeds at $1.
        let one_dollar = I256::try_from(100_000_000i64).expect("fits");
        let mut tokens = Vec::new();
        let mut feeds = Vec::new();
        for &(symbol, decimals) in assets {
            tokens.push(
                chain.deploy(
                    ADMIN,
                    with_arguments(
                        store.aave("MintableERC20").code(),
                        (symbol.to_string(), symbol.to_string(), U256::from(decimals))
                            .abi_encode_params(),
                    ),
                ),
            );
            feeds.push(chain.deploy(
                ADMIN,
                with_arguments(store.aave("MockAggregator").code(), one_dollar.abi_encode()),
            ));
        }
        let oracle = chain.deploy(
            ADMIN,
            with_arguments(
                store.aave("AaveOracle").code(),
                (
                    provider,
                    tokens.clone(),
                    feeds.clone(),
                    Address::ZERO,
                    Address::ZERO,
                    U256::from(100_000_000u64),
                )
                    .abi_encode_params(),
            ),
        );
        chain.must_send(
            ADMIN,
            provider,
            &IPoolAddressesProvider::setPriceOracleCall {
                newPriceOracle: oracle,
            },
        );

        // Token implementations and the rate strategy (80% optimal usage, 0% + 4% / 75% slopes:
        // rates do not matter, no time passes).
        let a_token_impl = chain.deploy(
            ADMIN,
            with_arguments(store.aave("AToken").code(), pool.abi_encode()),
        );
        let stable_impl = chain.deploy(
            ADMIN,
            with_arguments(store.aave("StableDebtToken").code(), pool.abi_encode()),
        );
        let variable_impl = chain.deploy(
            ADMIN,
            with_arguments(store.aave("VariableDebtToken").code(), pool.abi_encode()),
        );
        let percent_ray = |percent: u64| ray() / U256::from(100u8) * U256::from(percent);
        let strategy = chain.deploy(
            ADMIN,
            with_arguments(
                store.aave("DefaultReserveInterestRateStrategy").code(),
                (
                    provider,
                    percent_ray(80),
                    U256::ZERO,
                    percent_ray(4),
                    percent_ray(75),
                    percent_ray(0),
                    percent_ray(0),
                    percent_ray(2),
                    percent_ray(5),
                    percent_ray(20),
                )
                    .abi_encode_params(),
            ),
        );
        let inputs = assets
            .iter()
            .zip(&tokens)
            .map(|(&(symbol, decimals), &token)| InitReserveInput {
                aTokenImpl: a_token_impl,
                stableDebtTokenImpl: stable_impl,
                variableDebtTokenImpl: variable_impl,
                underlyingAssetDecimals: decimals,
                interestRateStrategyAddress: strategy,
                underlyingAsset: token,
                treasury: TREASURY,
                incentivesController: Address::ZERO,
                aTokenName: format!("Aave {symbol}"),
                aTokenSymbol: format!("a{symbol}"),
                variableDebtTokenName: format!("Variable debt {symbol}"),
                variableDebtTokenSymbol: format!("variableDebt{symbol}"),
                stableDebtTokenName: format!("Stable debt {symbol}"),
                stableDebtTokenSymbol: format!("stableDebt{symbol}"),
                params: Bytes::new(),
            })
            .collect();
        chain.must_send(
            ADMIN,
            configurator,
            &IPoolConfigurator::initReservesCall { input: inputs },
        );

        let mut reserves = Vec::new();
        for (index, &(symbol, decimals)) in assets.iter().enumerate() {
            let asset = tokens[index];
            chain.must_send(
                ADMIN,
                configurator,
                &IPoolConfigurator::setReserveBorrowingCall {
                    asset,
                    enabled: true,
                },
            );
            let data = chain.view(pool, &IPool::getReserveDataCall { asset });
            reserves.push(Reserve {
                symbol: symbol.to_string(),
                decimals,
                asset,
                a_token: data.aTokenAddress,
                variable_debt_token: data.variableDebtTokenAddress,
                price_feed: feeds[index],
            });
        }
        let mut market = AaveMarket {
            provider,
            pool,
            configurator,
            oracle,
            reserves,
            state: chain.state().clone(),
        };
        for index in 0..market.reserves.len() {
            market.configure_collateral(&mut chain, index, 7_500, 8_000, 10_500, 1_000);
        }

        // Liquidity, approvals, the liquidator's purse.
        for reserve in &market.reserves {
            let amount = U256::from(LIQUIDITY_TOKENS) * unit(reserve.decimals);
            for holder in [LIQUIDITY_PROVIDER, LIQUIDATOR] {
                chain.must_send(
                    holder,
                    reserve.asset,
                    &IMintableERC20::mintCall {
                        account: holder,
                        value: amount,
                    },
                );
            }
            for holder in [LIQUIDITY_PROVIDER, BORROWER, LIQUIDATOR] {
                chain.must_send(
                    holder,
                    reserve.asset,
                    &IMintableERC20::approveCall {
                        spender: pool,
                        amount: U256::MAX,
                    },
                );
            }
            chain.must_send(
                LIQUIDITY_PROVIDER,
                pool,
                &IPool::supplyCall {
                    asset: reserve.asset,
                    amount,
                    onBehalfOf: LIQUIDITY_PROVIDER,
                    referralCode: 0,
                },
            );
        }
        market.state = chain.state().clone();
        market
    }

    /// A chain holding a copy of the market right after setup.
    pub fn fork(&self) -> Chain {
        Chain::with_state(self.state.clone())
    }

    /// Sets a reserve's collateral parameters (basis points; `bonus_bps` includes the 100%) through
    /// `PoolConfigurator`, as the pool admin.
    ///
    /// # Panics
    ///
    /// When the configurator refuses them (LTV above the threshold, threshold × bonus above 100%...).
    pub fn configure_collateral(
        &self,
        chain: &mut Chain,
        reserve: usize,
        ltv_bps: u32,
        liquidation_threshold_bps: u32,
        bonus_bps: u32,
        protocol_fee_bps: u32,
    ) {
        let asset = self.reserves[reserve].asset;
        chain.must_send(
            ADMIN,
            self.configurator,
            &IPoolConfigurator::configureReserveAsCollateralCall {
                asset,
                ltv: U256::from(ltv_bps),
                liquidationThreshold: U256::from(liquidation_threshold_bps),
                liquidationBonus: U256::from(bonus_bps),
            },
        );
        chain.must_send(
            ADMIN,
            self.configurator,
            &IPoolConfigurator::setLiquidationProtocolFeeCall {
                asset,
                newFee: U256::from(protocol_fee_bps),
            },
        );
    }

    /// Sets a reserve's oracle price (USD, 8 decimals) by updating its feed's answer, as a Chainlink
    /// round would.
    pub fn set_price(&self, chain: &mut Chain, reserve: usize, price_8: U256) {
        assert!(
            price_8 > U256::ZERO && price_8 <= U256::from(I256::MAX),
            "a feed answer is a positive int256"
        );
        let feed = self.reserves[reserve].price_feed;
        chain.set_storage(feed, U256::from(AGGREGATOR_ANSWER_SLOT), price_8);
    }

    /// The price the oracle reports for a reserve.
    pub fn price(&self, chain: &mut Chain, reserve: usize) -> I256 {
        chain.view(
            self.reserves[reserve].price_feed,
            &IAggregator::latestAnswerCall {},
        )
    }

    /// Mints `amount` base units to `user` and supplies them to the pool on the user's behalf.
    pub fn supply(
        &self,
        chain: &mut Chain,
        user: Address,
        reserve: usize,
        amount: U256,
    ) -> Result<(), Failure> {
        let asset = self.reserves[reserve].asset;
        chain.must_send(
            user,
            asset,
            &IMintableERC20::mintCall {
                account: user,
                value: amount,
            },
        );
        chain.send(
            user,
            self.pool,
            &IPool::supplyCall {
                asset,
                amount,
                onBehalfOf: user,
                referralCode: 0,
            },
        )?;
        Ok(())
    }

    /// Borrows `amount` base units at the variable rate.
    pub fn borrow(
        &self,
        chain: &mut Chain,
        user: Address,
        reserve: usize,
        amount: U256,
    ) -> Result<(), Failure> {
        chain.send(
            user,
            self.pool,
            &IPool::borrowCall {
                asset: self.reserves[reserve].asset,
                amount,
                interestRateMode: U256::from(2u8),
                referralCode: 0,
                onBehalfOf: user,
            },
        )?;
        Ok(())
    }

    /// `liquidationCall(collateral, debt, user, debt_to_cover, false)` from the liquidator.
    pub fn liquidation_call(
        &self,
        chain: &mut Chain,
        collateral: usize,
        debt: usize,
        user: Address,
        debt_to_cover: U256,
    ) -> Result<(), Failure> {
        chain.send(
            LIQUIDATOR,
            self.pool,
            &IPool::liquidationCallCall {
                collateralAsset: self.reserves[collateral].asset,
                debtAsset: self.reserves[debt].asset,
                user,
                debtToCover: debt_to_cover,
                receiveAToken: false,
            },
        )?;
        Ok(())
    }

    /// `getUserAccountData(user)`.
    pub fn account_data(
        &self,
        chain: &mut Chain,
        user: Address,
    ) -> IPool::getUserAccountDataReturn {
        chain.view(self.pool, &IPool::getUserAccountDataCall { user })
    }

    /// `getReserveData(asset)`.
    pub fn reserve_data(&self, chain: &mut Chain, reserve: usize) -> ReserveData {
        chain.view(
            self.pool,
            &IPool::getReserveDataCall {
                asset: self.reserves[reserve].asset,
            },
        )
    }

    /// ERC-20 `balanceOf` of any token.
    pub fn balance(&self, chain: &mut Chain, token: Address, holder: Address) -> U256 {
        chain.view(token, &IMintableERC20::balanceOfCall { account: holder })
    }
}

/// `10^decimals`.
pub fn unit(decimals: u8) -> U256 {
    U256::from(10u8).pow(U256::from(decimals))
}

/// Deploys `name` (after the libraries it references itself), once.
fn deploy_library(
    chain: &mut Chain,
    store: &ArtifactStore,
    name: &str,
    libraries: &mut BTreeMap<String, Address>,
) {
    if libraries.contains_key(name) {
        return;
    }
    let artifact = store.aave(name);
    for dependency in artifact.link_references.keys() {
        deploy_library(chain, store, dependency, libraries);
    }
    let address = chain.deploy(ADMIN, artifact.link(libraries));
    libraries.insert(name.to_string(), address);
}
