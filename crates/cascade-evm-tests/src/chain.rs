//! A minimal in-process chain over `revm`: deploy, call, read, and copy the whole state.
//!
//! Every transaction runs in the same block (fixed number and timestamp), so Aave's interest
//! indexes never move: its liquidity and borrow indexes stay at exactly 1 ray, which is what
//! `cascade_core::exact` assumes. Gas is free (price 0) and every address may send.

use std::fmt;

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{Panic, Revert, SolCall, SolError};
use revm::context::result::{ExecutionResult, Output};
use revm::context::{BlockEnv, TxEnv};
use revm::database::{CacheDB, EmptyDB};
use revm::handler::{MainnetContext, MainnetEvm};
use revm::primitives::hardfork::SpecId;
use revm::primitives::TxKind;
use revm::{Context, DatabaseRef, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext};

/// The state of every account: cheap to clone (bytecode is shared, storage is a map).
pub type State = CacheDB<EmptyDB>;

/// Gas limit of every transaction: far above anything deployed or called here.
const GAS_LIMIT: u64 = 100_000_000;
/// The one block everything runs in.
const BLOCK_NUMBER: u64 = 1;
const BLOCK_TIMESTAMP: u64 = 1_700_000_000;

/// Why a transaction failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// `revert("...")` / `require(cond, "...")`: Aave's error codes ('45') and Uniswap's messages.
    Reason(String),
    /// Solidity 0.8's `Panic(uint256)` (0x11 overflow, 0x12 division by zero...).
    Panic(U256),
    /// A revert with other data (e.g. the empty revert of Aave's math libraries).
    Data(Bytes),
    /// Out of gas, invalid opcode...
    Halt(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Reason(reason) => write!(f, "reverted: {reason:?}"),
            Failure::Panic(code) => write!(f, "panicked: 0x{code:x}"),
            Failure::Data(data) => write!(f, "reverted with data {data}"),
            Failure::Halt(reason) => write!(f, "halted: {reason}"),
        }
    }
}

fn decode_revert(data: &Bytes) -> Failure {
    if let Ok(revert) = Revert::abi_decode(data) {
        return Failure::Reason(revert.reason);
    }
    if let Ok(panic) = Panic::abi_decode(data) {
        return Failure::Panic(panic.code);
    }
    Failure::Data(data.clone())
}

/// An EVM with its state.
pub struct Chain {
    evm: MainnetEvm<MainnetContext<State>>,
}

impl Chain {
    /// An empty chain.
    pub fn new() -> Self {
        Self::with_state(State::new(EmptyDB::default()))
    }

    /// A chain starting from `state`.
    pub fn with_state(state: State) -> Self {
        let evm = Context::mainnet()
            .with_db(state)
            .modify_cfg_chained(|cfg| {
                // Cancun: the contracts were compiled for London/Istanbul and behave the same; it
                // precedes the 2^24 per-transaction gas cap of later forks.
                cfg.set_spec_and_mainnet_gas_params(SpecId::CANCUN);
                cfg.chain_id = 1;
            })
            .modify_block_chained(|block: &mut BlockEnv| {
                block.number = U256::from(BLOCK_NUMBER);
                block.timestamp = U256::from(BLOCK_TIMESTAMP);
                block.gas_limit = u64::MAX;
                block.basefee = 0;
            })
            .build_mainnet();
        Chain { evm }
    }

    /// The current state, for [`Chain::with_state`].
    pub fn state(&self) -> &State {
        &self.evm.ctx.journaled_state.database
    }

    /// A second chain with a copy of this one's state.
    pub fn fork(&self) -> Chain {
        Chain::with_state(self.state().clone())
    }

    fn tx(&self, from: Address, kind: TxKind, data: Bytes) -> TxEnv {
        let nonce = self
            .state()
            .basic_ref(from)
            .expect("in-memory state")
            .map_or(0, |account| account.nonce);
        TxEnv::builder()
            .caller(from)
            .kind(kind)
            .data(data)
            .gas_limit(GAS_LIMIT)
            .gas_price(0)
            .nonce(nonce)
            .chain_id(Some(1))
            .build()
            .expect("a valid legacy transaction")
    }

    fn run(&mut self, tx: TxEnv, commit: bool) -> Result<Output, Failure> {
        let result = if commit {
            self.evm.transact_commit(tx)
        } else {
            self.evm.transact(tx).map(|r| r.result)
        }
        .unwrap_or_else(|e| panic!("the EVM rejected a transaction: {e:?}"));
        match result {
            ExecutionResult::Success { output, .. } => Ok(output),
            ExecutionResult::Revert { output, .. } => Err(decode_revert(&output)),
            ExecutionResult::Halt { reason, .. } => Err(Failure::Halt(format!("{reason:?}"))),
        }
    }

    /// Deploys `code` (creation code with its ABI-encoded constructor arguments appended) from
    /// `from`.
    ///
    /// # Panics
    ///
    /// When the constructor fails: deployments are setup, never the thing under test.
    pub fn deploy(&mut self, from: Address, code: Bytes) -> Address {
        let tx = self.tx(from, TxKind::Create, code);
        match self.run(tx, true) {
            Ok(Output::Create(_, Some(address))) => address,
            other => panic!("deployment failed: {other:?}"),
        }
    }

    /// Sends a transaction calling `to` and commits its effects (a failed call changes nothing but
    /// the sender's nonce).
    pub fn send<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        call: &C,
    ) -> Result<C::Return, Failure> {
        let tx = self.tx(from, TxKind::Call(to), call.abi_encode().into());
        let output = self.run(tx, true)?;
        Ok(C::abi_decode_returns(output.data()).expect("return data matches the ABI"))
    }

    /// Like [`Chain::send`], for setup steps that must succeed.
    ///
    /// # Panics
    ///
    /// When the call fails, naming it.
    pub fn must_send<C: SolCall>(&mut self, from: Address, to: Address, call: &C) -> C::Return {
        self.send(from, to, call)
            .unwrap_or_else(|e| panic!("{} to {to} {e}", C::SIGNATURE))
    }

    /// Runs a call without committing anything (an `eth_call`).
    ///
    /// # Panics
    ///
    /// When the call fails.
    pub fn view<C: SolCall>(&mut self, to: Address, call: &C) -> C::Return {
        let tx = self.tx(Address::ZERO, TxKind::Call(to), call.abi_encode().into());
        let output = self
            .run(tx, false)
            .unwrap_or_else(|e| panic!("view {} on {to} {e}", C::SIGNATURE));
        C::abi_decode_returns(output.data()).expect("return data matches the ABI")
    }

    /// Overwrites one storage slot of a deployed contract.
    pub fn set_storage(&mut self, address: Address, slot: U256, value: U256) {
        self.evm
            .ctx
            .journaled_state
            .database
            .insert_account_storage(address, slot, value)
            .expect("in-memory state");
    }
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}
