// libFuzzer target for what the loopback listener does with bytes from any local process:
// the request-head parser, the Host/body screen, the query parser and the callback decision.
// Built only by Scripts/fuzz (with -DFUZZING and -sanitize=fuzzer); a normal build gets a stub.
import CEAuthCore

#if FUZZING
import Glibc

// The state a genuine redirect would carry; inputs that find it exercise the accepting paths.
let fuzzState = "c3RhdGUtZm9yLWZ1enppbmctMDEyMzQ1Njc4OWFiY2RlZg"
let fuzzValidator = CallbackValidator(
    expectedPath: "/", verifier: try! StateVerifier(state: fuzzState), issuer: "https://accounts.google.com"
)
let fuzzScreen = RequestScreen(redirect: .ephemeral, port: 53682)

/// Checks properties that must hold for every input; a violation aborts, which libFuzzer records.
func check(_ condition: Bool, _ message: String) {
    if !condition {
        print("property violated: \(message)")
        abort()
    }
}

func fuzzOne(_ bytes: [UInt8]) {
    // 1. The head parser, on the whole input and with a limit that may cut it.
    let limit = HTTPRequestHeadParser.defaultLimit
    if let head = try? HTTPRequestHeadParser.parse(bytes, limit: limit) {
        check(!head.target.contains(" ") && !head.method.isEmpty, "a parsed head has a bad request line")
        check(head.target.utf8.count <= limit, "a parsed head is larger than the limit")
        // Whatever the screen and the validator decide, they must decide without crashing,
        // and a screened-out request must never be the one that counts.
        let screened = fuzzScreen.check(head)
        let decision = fuzzValidator.decide(head)
        if case .finish = decision, head.method != "GET" { check(false, "a non-GET request finished the wait") }
        if screened == nil, case .finish(.code(let code)) = decision { check(!code.isEmpty, "an empty code was accepted") }
    }
    // 2. The query parser on the raw input as text: decode, re-encode, decode gives the same pairs.
    let text = String(decoding: bytes, as: UTF8.self)
    if let pairs = FormEncoding.parseQuery(Substring(text)) {
        let again = FormEncoding.parseQuery(Substring(FormEncoding.query(pairs.map { ($0.name, $0.value) })))
        check(again != nil, "a re-encoded query does not parse")
        if let again {
            check(again.map(\.name) == pairs.map(\.name) && again.map(\.value) == pairs.map(\.value),
                  "a query does not survive encoding and decoding")
        }
    }
}

// libFuzzer's entry point. With -sanitize=fuzzer the link pulls in libFuzzer's own main, which
// calls this; SwiftPM still points `main` at this file's top-level code, so that drives
// libFuzzer through LLVMFuzzerRunDriver with the command line as given.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzOne(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: FuzzCallback) -> Int32

var argc = CommandLine.argc
var argv = Optional(CommandLine.unsafeArgv)
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzerTestOneInput))
#else
print("ceauth-fuzz is built for fuzzing by Scripts/fuzz; this build has no fuzzer in it.")
#endif
