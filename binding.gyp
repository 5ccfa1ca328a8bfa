{
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
        "-Wno-psabi",
        "-Wno-uninitialized",
        "-Wno-maybe-uninitialized"
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_OPTIMIZATION_LEVEL": "3"
      }
    }
  ]
}
