import Foundation
import ArgumentParser
import Testing
@testable import CEAuthCore
@testable import ceauth

/// The large-keyfile fast paths (eight bytes at a time, plain storage, rows from the text read)
/// against the plain code they stand for: the same answers on every byte pattern tried.
@Suite struct FastPathTests {
    /// A deterministic generator, so a failure names an input that can be run again.
    struct Mix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Bytes where the tests' edges are: controls, the quote, the backslash, DEL, past ASCII.
    static let edges: [UInt8] = [0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1F, 0x20, 0x21, 0x22, 0x5C, 0x7E, 0x7F, 0x80, 0x9F, 0xA0, 0xC3, 0xFF, 0x61, 0x30]

    @Test func eachByteTestIsExact() {
        var mix = Mix(state: 1)
        for round in 0..<20_000 {
            let bytes = (0..<8).map { _ in round % 2 == 0 ? Self.edges.randomElement(using: &mix)! : UInt8.random(in: 0...255, using: &mix) }
            let word = bytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
            for value: UInt8 in [0x09, 0x0A, 0x20, 0x22, 0x5C, 0x7F, 0x55] {
                let expected = bytes.enumerated().reduce(UInt64(0)) { $0 | ($1.element == value ? 0x80 << (8 * UInt64($1.offset)) : 0) }
                #expect(SWAR.equal(word, value) == expected, "\(bytes) == \(value)")
            }
            for value: UInt8 in [0x01, 0x20, 0x80] {
                let expected = bytes.enumerated().reduce(UInt64(0)) { $0 | ($1.element < value ? 0x80 << (8 * UInt64($1.offset)) : 0) }
                #expect(SWAR.below(word, value) == expected, "\(bytes) < \(value)")
            }
        }
    }

    @Test func printableASCIIIsDecidedAsByteByByte() {
        var mix = Mix(state: 2)
        for length in 0..<40 {
            for _ in 0..<200 {
                var bytes = (0..<length).map { _ in UInt8.random(in: 0x20...0x7E, using: &mix) }
                if length > 0, Bool.random(using: &mix) { bytes[Int.random(in: 0..<length, using: &mix)] = Self.edges.randomElement(using: &mix)! }
                let text = String(decoding: bytes, as: UTF8.self)
                for keep in [true, false] {
                    let expected = text.utf8.allSatisfy { (0x20...0x7E).contains($0) || (keep && ($0 == 0x09 || $0 == 0x0A)) }
                    #expect(TerminalText.isPrintableASCII(text, keepLayout: keep) == expected, "\(bytes) keep \(keep)")
                }
            }
        }
    }

    @Test func theRedactorsFirstLookMissesNoSecret() {
        var mix = Mix(state: 3)
        let secrets = ["USERSECRET-5f1c9e", "ORGSECRET-b2d48c", "CLIENT\"SECRET-9a7e3d", "ümlaut-secret-x", "aaaaaa"]
        let redactor = Redactor(secrets)
        let alphabet = Array("abcUSEROGCLIT-0123456789 \t\n\"\\%".utf8) + [0xC3, 0xBC]
        for round in 0..<3_000 {
            var bytes = (0..<Int.random(in: 0..<120, using: &mix)).map { _ in alphabet.randomElement(using: &mix)! }
            if round % 3 == 0 {
                let form = Array(Redactor.forms(secrets.randomElement(using: &mix)!).randomElement(using: &mix)!.utf8)
                bytes.insert(contentsOf: form, at: Int.random(in: 0...bytes.count, using: &mix))
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let forms = secrets.flatMap(Redactor.forms).filter { $0.utf8.count >= 6 }
            let holds = forms.contains { form in text.utf8.count >= form.utf8.count && (0...(text.utf8.count - form.utf8.count)).contains { Array(text.utf8)[$0..<($0 + form.utf8.count)].elementsEqual(form.utf8) } }
            #expect(Redactor.mayContain(text, any: forms) == holds, "\(text)")
            // And the whole filter: every form replaced as before the first look existed.
            let before = forms.sorted { $0.utf8.count > $1.utf8.count }.reduce(text) { Redactor.replaceBytes(in: $0, $1, with: "<redacted>") }
            #expect(redactor.redact(text) == before, "\(text)")
        }
    }

    @Test func decimalsAreWrittenAsStringWritesThem() {
        var mix = Mix(state: 4)
        for value in [0, 1, -1, 9, 10, -10, 99, 100, Int64.max, Int64.min, Int64.max - 1, Int64.min + 1] + (0..<2000).map({ _ in Int64(bitPattern: mix.next()) >> Int64.random(in: 0...63, using: &mix) }) {
            var out: [UInt8] = [0x41]
            appendDecimal(value, to: &out)
            #expect(out == [0x41] + Array(String(value).utf8))
        }
    }

    @Test func idsAreReadAsInt64ReadsThem() throws {
        for text in ["0", "-0", "7", "-7", "123456789012345678", "-123456789012345678", "999999999999999999", "9223372036854775807",
                     "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "18446744073709551615", "1.5", "1e3", "-1E+2", "12345678901234567890123"] {
            let entries = try KeyfileReader.instances(bytes: Array(#"{"instances": [{"id": \#(text), "token": "t"}]}"#.utf8), path: "k")
            #expect(entries.first?.hasID == (Int64(text) != nil), "\(text)")
            #expect(entries.first?.id == Int64(text) ?? 0, "\(text)")
        }
    }

    /// Strings that end, escape or break at each place of an eight-byte word: the value or the
    /// error a byte-by-byte reading gives.
    @Test func stringsAreReadTheSameAtEachPlaceOfAWord() throws {
        for length in 0...20 {
            for at in 0..<max(length, 1) {
                var text = Array(repeating: UInt8(ascii: "x"), count: length)
                func document(_ text: [UInt8]) -> [UInt8] { Array(#"{"a": ""#.utf8) + text + Array(#""}"#.utf8) }
                func value(_ text: [UInt8]) throws -> String? { try LosslessJSON.parse(document(text))["a"]?.stringValue }
                #expect(try value(text) == String(repeating: "x", count: length))
                guard length > 0 else { continue }
                text[at] = 0x01
                #expect(throws: LosslessJSON.ParseError(offset: 7 + at, reason: "a control character inside a string")) { try value(text) }
                text[at] = UInt8(ascii: "\\")
                let escaped = Array(text[..<at]) + Array(#"\n"#.utf8) + Array(text[(at + 1)...])
                #expect(try value(escaped) == String(repeating: "x", count: at) + "\n" + String(repeating: "x", count: length - at - 1))
                let accented = Array(text[..<at]) + Array("é".utf8) + Array(text[(at + 1)...])
                #expect(try value(accented) == String(repeating: "x", count: at) + "é" + String(repeating: "x", count: length - at - 1))
                text[at] = 0xFF
                #expect(throws: LosslessJSON.ParseError(offset: 7 + length, reason: "a string that is not valid UTF-8")) { try value(text) }
                text[at] = UInt8(ascii: "\"")
                #expect(throws: LosslessJSON.ParseError(offset: 8 + at, reason: "expected ',' or '}'")) { try value(text) }
            }
        }
    }

    /// The rows `list` prints, written from the text read, are what it printed from each entry
    /// made whole, in the same pieces.
    @Test func listingRowsAreThoseOfTheEntries() throws {
        let text = #"""
        {"instances": [
         {"name": "caf\u00e9 \u001b[31m", "id": 1, "token": "t1", "element": "gmail", "baseUrl": "https://api.cloud-elements.com/elements/api-v2", "created": "2026"},
         {"name": "e\u0301", "id": "42", "token": "t2", "element": "gm\"ail", "baseUrl": "https://staging.cloud-elements.com/elements/api-v2", "created": "x\ty"},
         {"name": "noid", "token": "t3"},
         {"id": 5, "tokenStore": "secret-service", "baseUrl": "http://127.0.0.1:9/sandbox/elements/api-v2"},
         {"name": "big", "id": -9223372036854775808, "token": "t5", "element": "gmail", "baseUrl": "not a url", "created": ""},
         {"note": "skipped"},
         {"name": "h\u0041", "id": 7, "token": "t6", "element": 5, "baseUrl": "https:\/\/api.cloud-elements.com\/elements\/api-v2", "created": null},
         {"name": "again", "id": 8, "token": "t7", "baseUrl": "https://staging.cloud-elements.com/elements/api-v2"}
        ]}
        """#
        let entries = try KeyfileReader.entries(bytes: Array(text.utf8), path: "k")
        let expected = entries.map { entry in
            "\(entry.name)\t\(entry.id)\t\(entry.element)\t\(entry.host)\t\(entry.created)\t\(entry.tokenStore ?? TokenStore.keyfile.rawValue)"
        }
        for size in [1, 40, 100, 65536] {
            var pieces: [String] = []
            entries.listing(Array(entries.indices), piece: size) { pieces.append($0) }
            #expect(pieces.joined(separator: "\n") == expected.joined(separator: "\n"))
            // Whole lines in each piece, a piece once it reaches the size.
            #expect(pieces.dropLast().allSatisfy { $0.utf8.count >= size })
            #expect(pieces.flatMap { $0.split(separator: "\n", omittingEmptySubsequences: false) }.count == expected.count)
        }
        var some: [String] = []
        entries.listing([3, 0]) { some.append($0) }
        #expect(some == [expected[3] + "\n" + expected[0]])
    }

    /// ArgumentParser derives a name it is not given by reflection at every start (3 ms): each
    /// command gives its own.
    @Test func everyCommandNamesItself() {
        func unnamed(_ command: ParsableCommand.Type) -> [String] {
            (command.configuration.commandName == nil ? ["\(command)"] : []) + command.configuration.subcommands.flatMap(unnamed)
        }
        #expect(unnamed(CEAuth.self) == [])
    }
}

extension FastPathTests {
    /// A new instance saved into a keyfile as ceauth writes it is spliced in, with every other
    /// byte where it was: the same bytes as parsing, adding and writing again. Any other text
    /// (another layout, the same instance again, a broken file) takes the whole way.
    @Test func aSaveThatSplicesWritesWhatTheRebuildWrites() throws {
        var mix = Mix(state: 6)
        let bases = ["https://api.cloud-elements.com/elements/api-v2", "https://staging.cloud-elements.com/elements/api-v2"]
        func randomEntry(_ id: Int64) -> KeyfileEntry {
            KeyfileEntry(name: ["bot", "caf\u{e9}", "e\u{301}", "tab\there", "q\"uote"].randomElement(using: &mix)! + "-\(id)", id: id,
                         token: Secret("T\(id)"), element: "gmail", baseURL: bases.randomElement(using: &mix)!, created: "2026-12-01T12:00:00Z")
        }
        var spliced = 0
        for round in 0..<300 {
            // A keyfile ceauth wrote: saves one after another from nothing, with notes of the user's.
            var document: [UInt8]? = round % 5 == 0 ? Array(#"{"note": {"a": [1, {"b": "\u00e9"}], "c": []}, "instances": [], "z": -0.5e1}"#.utf8) : nil
            if let text = document { document = try KeyfileDocument.rebuilt(text, entry: randomEntry(1), path: "k") }
            var ids: [Int64] = []
            for _ in 0..<Int.random(in: 0..<6, using: &mix) {
                let id = Int64.random(in: 1...20, using: &mix)
                ids.append(id)
                document = try KeyfileDocument.rebuilt(document, entry: randomEntry(id), path: "k")
            }
            guard var text = document else { continue }
            // Sometimes laid out otherwise, or broken.
            switch round % 9 {
            case 1: text = Array(try LosslessJSON.parse(text).encodedBytes(pretty: false)) + [0x0A]
            case 2: text = [0xEF, 0xBB, 0xBF] + text
            case 3: text.insert(0x20, at: Int.random(in: 0..<text.count, using: &mix))
            case 4: text.removeLast()
            case 5: text = Array(String(decoding: text, as: UTF8.self).replacingOccurrences(of: "\"instances\"", with: #""inst\u0061nces""#).utf8)
            case 6: text[Int.random(in: 0..<text.count, using: &mix)] = [0x22, 0x5C, 0x7B, 0x5D, 0x01].randomElement(using: &mix)!
            default: break
            }
            // A new instance, the same instance again (maybe at another host), an id as a string.
            let entry = round % 3 == 0 && !ids.isEmpty ? randomEntry(ids.randomElement(using: &mix)!) : randomEntry(Int64.random(in: 21...40, using: &mix))
            let whole = Result { () throws(KeyfileError) in try KeyfileDocument.rebuilt(text, entry: entry, path: "k") }
            if let fast = KeyfileDocument.appended(text, entry: entry, path: "k") {
                spliced += 1
                #expect(whole == .success(fast), "round \(round)")
            }
            #expect(Result { () throws(KeyfileError) in try KeyfileDocument.merge(bytes: text, entry: entry, path: "k") } == whole, "round \(round)")
        }
        // The splice was taken (a keyfile ceauth wrote, a new instance), and not always.
        #expect(spliced > 60 && spliced < 290, "\(spliced)")
    }
}
