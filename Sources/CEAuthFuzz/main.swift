// libFuzzer target for bytes ceauth reads from others: what the loopback listener does with
// them (request-head parser, Host/body screen, query parser, callback decision), the keyfile's
// lossless JSON reader and merge, the output filter (SafeText), the redirect-path check, Google's
// token answers and the numbers ceauth takes from the environment.
// Built only by Scripts/fuzz (with -DFUZZING and -sanitize=fuzzer); a normal build gets a stub.
import CEAuthCore

#if FUZZING
import Foundation

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

let fuzzSecret = "FUZZSECRET-7d2e9a"
let fuzzSafe = SafeText(redactor: Redactor([fuzzSecret]), maxLineLength: 64)
let fuzzEntry = KeyfileEntry(name: "fuzz", id: 7, token: Secret("t"), element: "gmail", baseURL: "https://x.example", created: "c")

func fuzzText(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    // 3. The keyfile reader: what parses survives being written back, compact or indented,
    //    and a merge keeps every member it did not touch.
    if let parsed = try? LosslessJSON.parse(bytes) {
        for pretty in [false, true] {
            let again = try? LosslessJSON.parse(Array(parsed.encoded(pretty: pretty).utf8))
            check(again == parsed, "a keyfile does not survive being written back (pretty: \(pretty))")
        }
        // A save spliced into a keyfile is the bytes the rebuild writes: on the input itself,
        // and on the input as ceauth writes it (where the splice is taken), with another entry.
        for text in [bytes, (try? KeyfileDocument.rebuilt(bytes, entry: fuzzEntry, path: "k")) ?? []] {
            let other = KeyfileEntry(name: "fuzz-2", id: 8, token: Secret("u"), element: "gmail", baseURL: "https://x.example", created: "c")
            for entry in [fuzzEntry, other] {
                if let fast = KeyfileDocument.appended(text, entry: entry, path: "k") {
                    check((try? KeyfileDocument.rebuilt(text, entry: entry, path: "k")) == fast, "a spliced save differs from the rebuilt one")
                }
            }
        }
        if case .object(let members) = parsed, let merged = try? KeyfileDocument.merge(existing: Data(bytes), entry: fuzzEntry, path: "k"),
           case .object(let after)? = try? LosslessJSON.parse(merged) {
            let untouched = members.filter { $0.key.value != "instances" }
            check(after.filter { $0.key.value != "instances" } == untouched, "a merge changed members it does not own")
        }
    } else if !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
        check((try? KeyfileDocument.merge(existing: Data(bytes), entry: fuzzEntry, path: "k")) == nil,
              "a keyfile that does not parse was merged")
    }
    // 3b. The lookup's one-pass reader refuses what the tree refuses, with the same words at the
    //     same byte, and reads as many entries as the tree has objects with an id or a token.
    let scanned = Result { () throws(KeyfileError) in try KeyfileReader.instances(bytes: bytes, path: "k") }
    if !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
        switch (Result { () throws(LosslessJSON.ParseError) in try LosslessJSON.parse(bytes) }, scanned) {
        case (.failure(let error), .failure(let refused)):
            check(refused == .unparseable(path: "k", reason: "it is not valid JSON: \(error)"), "the one-pass reader refused with other words")
        case (.failure, .success): check(false, "the one-pass reader accepted what the tree refuses")
        case (.success(let tree), .success(let entries)):
            if case .array(let items)? = tree["instances"] {
                let expected = items.filter { item in
                    guard case .object = item else { return false }
                    return item["token"] != nil || (item["id"]?.integerValue ?? item["id"]?.stringValue.flatMap { Int64($0) }) != nil
                }.count
                check(entries.count == expected, "the one-pass reader read another number of entries")
            }
        case (.success(let tree), .failure):
            guard case .object = tree, case .array? = tree["instances"] ?? .array([]) else { break }
            check(false, "the one-pass reader refused what the tree accepts")
        }
    }
    // 4. The output filter: nothing that can drive a terminal comes out, and with the secret put
    //    anywhere in the text, no part of it survives the cut.
    let cut = bytes.first.map { Int($0) % (text.count + 1) } ?? 0
    var withSecret = text
    withSecret.insert(contentsOf: fuzzSecret, at: withSecret.index(withSecret.startIndex, offsetBy: cut))
    for shown in [fuzzSafe.lines(withSecret), fuzzSafe.value(withSecret, limit: 64)] {
        check(!shown.unicodeScalars.contains { TerminalText.isUnsafe($0) && $0 != "\n" && $0 != "\t" }, "an unsafe character was shown")
        // Escapes are lower-case hex after a backslash (\x9a, \u202e): they can form neither
        // "FUZ" nor, without an "e" or a "9" in the input, "e9a".
        if !text.contains("F") { check(!shown.contains("FUZ"), "the start of a secret was shown") }
        if !text.contains("e") && !text.contains("9") { check(!shown.contains("e9a"), "the end of a secret was shown") }
    }
    check(!fuzzSafe.value(text).unicodeScalars.contains { TerminalText.isUnsafe($0) }, "a value kept a line break or tab")
    // 5. JSON strings ceauth writes read back as the same value.
    let escaped = JSONString(text)
    check((try? LosslessJSON.parse(Array(("\"" + escaped.raw + "\"").utf8)))?.stringValue == text, "a written string reads back changed")
    // 6. A redirect URI that is accepted has no segment a browser would resolve.
    if let redirect = try? LoopbackRedirect.parse("http://127.0.0.1:8080/" + text) {
        for segment in redirect.path.split(separator: "/", omittingEmptySubsequences: false) {
            let spelled = segment.lowercased().replacingOccurrences(of: "%2e", with: ".")
            check(spelled != "." && spelled != "..", "a redirect path with a dot segment was accepted")
        }
    }
}

/// 7. Google's token endpoint answer (the input as the body, and as the value of its lifetime
/// and token members) and 8. numbers from the environment: nothing traps, and what is accepted
/// is within bounds. 9. Every form of a secret is redacted.
func fuzzAnswers(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    let status = bytes.first.map { [200, 201, 400, 401, 500][Int($0) % 5] } ?? 200
    let bodies = [Data(bytes), Data(#"{"access_token": "ya29.a", "refresh_token": "1//r", "refresh_token_expires_in": \#(text)}"#.utf8),
                  Data(#"{"access_token": \#(text), "refresh_token": "1//r", "scope": "x"}"#.utf8)]
    for body in bodies {
        switch Result(catching: { try GoogleTokenClient.parse(HTTPResponse(status: status, headers: [:], body: body), clientID: "c") }) {
        case .success(let tokens):
            check((200...299).contains(status) && !tokens.accessToken.value.isEmpty, "tokens without an access token were accepted")
            if let lifetime = tokens.refreshTokenExpiresIn { check(lifetime > 0 && lifetime <= 10 * 365 * 86_400, "an implausible lifetime was kept") }
        case .failure(let error):
            if case TokenExchangeError.unusableGrant(let refresh, _) = error { check(!refresh.value.isEmpty, "an empty refresh token to revoke") }
        }
    }
    if let seconds = try? Settings.boundedSeconds(text, name: "CEAUTH_SECRET_COMMAND_TIMEOUT", range: 0.1...600) {
        check(seconds.isFinite && seconds >= 0.1 && seconds <= 600, "a timeout out of bounds was accepted")
    }
    _ = try? Settings.secretCommandTimeout(environment: ["CEAUTH_SECRET_COMMAND_TIMEOUT": text])
    if text.utf8.count >= 6 && !text.unicodeScalars.contains(where: { $0.value < 0x20 }) {
        let redactor = Redactor([text])
        for form in Redactor.forms(text) where !form.contains("<redacted>") {
            check(!redactor.redact("[" + form + "]").contains("[" + form + "]"), "a form of a secret was not redacted")
        }
    }
}

// libFuzzer's entry point. With -sanitize=fuzzer the link pulls in libFuzzer's own main, which
// calls this; SwiftPM still points `main` at this file's top-level code, so that drives
// libFuzzer through LLVMFuzzerRunDriver with the command line as given.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    fuzzOne(bytes)
    fuzzText(bytes)
    fuzzAnswers(bytes)
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
