//! Reading creation bytecode from the npm packages' build artifacts, and linking libraries into it.
//!
//! `@aave/core-v3` ships Hardhat artifacts (`artifacts/contracts/**/Name.sol/Name.json`, with
//! `bytecode` and `linkReferences`); `@uniswap/v2-core` ships Waffle output (`build/Name.json`, with
//! `bytecode`). A contract that calls an external library function holds a 20-byte placeholder
//! (`__$<hash>$__`) wherever the library's address goes; `linkReferences` lists, per library, the
//! byte offsets of those placeholders, which [`Artifact::link`] overwrites with the deployed
//! library's address.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use alloy_primitives::{hex, Address, Bytes};
use serde_json::Value;

/// One contract's creation code, possibly with unlinked library placeholders.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub name: String,
    /// Creation bytecode as hex, without `0x`; placeholders are not hex.
    code_hex: String,
    /// Library name -> byte offsets of its 20-byte placeholders in the creation code.
    pub link_references: BTreeMap<String, Vec<usize>>,
}

impl Artifact {
    fn from_json(name: &str, path: &Path) -> Self {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let json: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        let code = json["bytecode"]
            .as_str()
            .unwrap_or_else(|| panic!("{} has no \"bytecode\" string", path.display()));
        let mut link_references = BTreeMap::new();
        if let Some(sources) = json["linkReferences"].as_object() {
            for libraries in sources.values() {
                for (library, places) in libraries.as_object().expect("linkReferences object") {
                    let offsets = places
                        .as_array()
                        .expect("linkReferences list")
                        .iter()
                        .map(|place| {
                            assert_eq!(place["length"], 20, "a placeholder is an address");
                            place["start"].as_u64().expect("start offset") as usize
                        })
                        .collect();
                    link_references.insert(library.clone(), offsets);
                }
            }
        }
        Artifact {
            name: name.to_string(),
            code_hex: code.trim_start_matches("0x").to_string(),
            link_references,
        }
    }

    /// The creation code with every library placeholder replaced by the address in `libraries`.
    ///
    /// # Panics
    ///
    /// When a referenced library is not in `libraries`, or a placeholder is left.
    pub fn link(&self, libraries: &BTreeMap<String, Address>) -> Bytes {
        let mut code = self.code_hex.clone();
        for (library, offsets) in &self.link_references {
            let address = libraries
                .get(library)
                .unwrap_or_else(|| panic!("{} needs library {library}", self.name));
            let address_hex = hex::encode(address);
            for &offset in offsets {
                code.replace_range(2 * offset..2 * offset + 40, &address_hex);
            }
        }
        Bytes::from(hex::decode(&code).unwrap_or_else(|e| {
            panic!(
                "{}: bytecode is not hex after linking (an unlisted placeholder?): {e}",
                self.name
            )
        }))
    }

    /// The creation code of a contract without library references.
    pub fn code(&self) -> Bytes {
        assert!(
            self.link_references.is_empty(),
            "{} must be linked first",
            self.name
        );
        self.link(&BTreeMap::new())
    }
}

/// The artifacts of the two pinned packages in a `node_modules` folder.
#[derive(Debug)]
pub struct ArtifactStore {
    /// Aave contract name -> artifact path.
    aave: BTreeMap<String, PathBuf>,
    uniswap_build: PathBuf,
}

impl ArtifactStore {
    pub fn new(node_modules: &Path) -> Self {
        let root = node_modules.join("@aave/core-v3/artifacts/contracts");
        let mut aave = BTreeMap::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            let entries = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
            for entry in entries {
                let path = entry.expect("directory entry").path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let file = path.file_name().and_then(|f| f.to_str()).unwrap_or("");
                if let Some(name) = file.strip_suffix(".json") {
                    if !name.ends_with(".dbg") {
                        let previous = aave.insert(name.to_string(), path.clone());
                        assert!(previous.is_none(), "two Aave artifacts named {name}");
                    }
                }
            }
        }
        assert!(!aave.is_empty(), "no artifacts under {}", root.display());
        ArtifactStore {
            aave,
            uniswap_build: node_modules.join("@uniswap/v2-core/build"),
        }
    }

    /// An `@aave/core-v3` contract by name (`Pool`, `LiquidationLogic`, `MintableERC20`...).
    pub fn aave(&self, name: &str) -> Artifact {
        let path = self
            .aave
            .get(name)
            .unwrap_or_else(|| panic!("no @aave/core-v3 artifact named {name}"));
        Artifact::from_json(name, path)
    }

    /// An `@uniswap/v2-core` contract by name (`UniswapV2Factory`...).
    pub fn uniswap(&self, name: &str) -> Artifact {
        Artifact::from_json(name, &self.uniswap_build.join(format!("{name}.json")))
    }
}

/// Creation code followed by its ABI-encoded constructor arguments: what a deployment sends.
pub fn with_arguments(code: Bytes, arguments: Vec<u8>) -> Bytes {
    let mut bytes = code.to_vec();
    bytes.extend_from_slice(&arguments);
    bytes.into()
}
