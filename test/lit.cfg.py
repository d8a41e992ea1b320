# lit configuration for attnc: every .mlir and .test file under test/ is a test.
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "attnc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "fixtures", "runtime"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attnc_obj_root, "test")

config.substitutions.append(("%fixtures", os.path.join(config.attnc_src_root, "test", "fixtures")))

if config.attnc_cuda:
    config.available_features.add("cuda-compiler")

llvm_config.with_system_environment(["HOME", "TMPDIR", "PATH"])
llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(
    [ToolSubst("attnc", unresolved="fatal"), ToolSubst("attnc-opt", unresolved="fatal"),
     ToolSubst("attnc-run", unresolved="fatal"), ToolSubst("attnc-calibrate", unresolved="fatal")],
    [config.attnc_tools_dir],
)
