{
  "variables": {"werror%": 0},
  "targets": [
    {
      "target_name": "alexnet_native",
      "sources": [
        "<!@(node -p \"require('fs').readdirSync('native/src').filter(f => f.endsWith('.cc')).sort().map(f => 'native/src/' + f).join(' ')\")"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags!": ["-fno-exceptions", "-O2", "-O0"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-O2", "-O0"],
      "cflags": ["-O3"],
      "cflags_cc": [
        "-std=c++17",
        "-O3",
        "-fexceptions",
        "-fno-math-errno",
        "-Wall",
        "-Wextra",
        # GCC's notes that a vector argument's ABI depends on the target: the
        # kernels are inline functions of target-attributed files, never
        # called across that boundary.
        "-Wno-psabi"
      ],
      # CI builds with -Werror (`node-gyp rebuild -- -Dwerror=1` in .ci/run);
      # a user's newer compiler may warn where ours does not, and must not
      # lose the addon for it.
      "conditions": [["werror==1", {"cflags_cc": ["-Werror"]}]],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_OPTIMIZATION_LEVEL": "3"
      }
    }
  ]
}
