import Foundation
import Testing
@testable import CEAuthCore

/// The keyfile's lookup reads in one pass that builds only the entries; the lossless tree is the
/// reference: the same entries from what it accepts, the same error (at the same byte) for the rest.
@Suite struct KeyfileScanTests {
    /// What the reading commands got from the tree before the one-pass reader.
    static func reference(_ bytes: [UInt8]) -> Result<[KeyfileEntry], KeyfileError> {
        guard !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else { return .success([]) }
        let root: LosslessJSON
        do { root = try LosslessJSON.parse(bytes) } catch {
            return .failure(.unparseable(path: "k", reason: "it is not valid JSON: \(error)"))
        }
        guard case .object = root else { return .failure(.unparseable(path: "k", reason: "it is not a JSON object")) }
        guard let instances = root["instances"] else { return .success([]) }
        guard case .array(let items) = instances else {
            return .failure(.unparseable(path: "k", reason: "its \"instances\" member is not an array"))
        }
        return .success(items.compactMap { item -> KeyfileEntry? in
            guard case .object = item else { return nil }
            let id = item["id"].flatMap { $0.integerValue ?? $0.stringValue.flatMap { Int64($0) } }
            guard id != nil || item["token"] != nil else { return nil }
            var entry = KeyfileEntry(name: item["name"]?.stringValue ?? "", id: id ?? 0, token: Secret(item["token"]?.stringValue ?? ""),
                                     element: item["element"]?.stringValue ?? "", baseURL: item["baseUrl"]?.stringValue ?? "",
                                     created: item["created"]?.stringValue ?? "")
            entry.hasID = id != nil
            return entry
        })
    }

    static let documents: [String] = [
        #"{"instances": [{"name": "a", "id": 1, "token": "t", "element": "gmail", "baseUrl": "https://x", "created": "c"}]}"#,
        // Escaped keys and values, an id as a string, a token that is not a string, notes.
        #"{"note": {"deep": [1, 2.5e3, -0, true, null]}, "instances": [{"na\u006de": "\u00e9\ud83d\ude00", "id": "42", "token": 7}, {"note": "no id, no token"}, [1], "x", {"id": 18446744073709551615, "token": "big"}, {"id": -3}, {"token": "only"}]}"#,
        "\u{FEFF}{\"instances\": []}", "  \n{}\t", #"{"instances": null}"#, #"[{"instances": []}]"#, "3",
        #"{"instances": [{"id": 1, "id": 2}]}"#, #"{"instances": [], "instances": []}"#, #"{"instances": [{"name": "a", "na\u006de": "b", "id": 1}]}"#,
        #"{"instances": [{"id": 1, "token": "t"}, ]}"#, #"{"instances": [{"id": 01}]}"#, #"{"instances": [{"id": 1, "token": "\x"}]}"#,
        #"{"instances": [{"id": 1}]} x"#, #"{"instances": [{"id": 1, "tags": ["#, #"{"instances": [{"id": 1, "k": tru}]}"#,
        #"{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, "h": 8, "i": 9, "j": 10, "k": 11, "l": 12, "m": 13, "n": 14, "o": 15, "p": 16, "q": 17, "\u0071": 18}"#,
        String(repeating: "[", count: 300) + String(repeating: "]", count: 300),
        "{\"instances\": [{\"id\": 1, \"x\": " + String(repeating: "[", count: 260) + String(repeating: "]", count: 260) + "}]}",
    ]

    @Test(arguments: documents)
    func theOnePassReaderAgreesWithTheTree(text: String) {
        let bytes = Array(text.utf8)
        let scanned = Result { () throws(KeyfileError) in try KeyfileReader.instances(bytes: bytes, path: "k") }
        #expect(scanned == Self.reference(bytes), "\(text.prefix(80))")
    }

    @Test func invalidUTF8IsTheSameErrorAtTheSameByte() {
        for bytes: [UInt8] in [[0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D], Array(#"{"instances":[{"id":1,"name":""#.utf8) + [0xED, 0xA0, 0x80, 0x22, 0x7D, 0x5D, 0x7D]] {
            let scanned = Result { () throws(KeyfileError) in try KeyfileReader.instances(bytes: bytes, path: "k") }
            #expect(scanned == Self.reference(bytes))
            #expect(throws: KeyfileError.self) { try KeyfileReader.instances(bytes: bytes, path: "k") }
        }
    }

    @Test func aLookupBuildsOnlyWhatItFindsAndComparesNamesAsBefore() throws {
        let text = #"{"instances": [{"name": "bot", "id": 1, "token": "t1"}, {"name": "e\u0301", "id": 2, "token": "t2"}, {"name": "\u212a", "id": 3, "token": "t3"}, {"name": "7", "id": 4, "token": "t4"}, {"id": 7, "token": "t7"}]}"#
        let entries = try KeyfileReader.entries(bytes: Array(text.utf8), path: "k")
        let all = Array(entries)
        for query in ["bot", "é", "K", "K", "name:7", "id:7", "4", "nobody", "7", "name:"] {
            let fast = Result { () throws(InstanceLookupError) in try KeyfileReader.find(query, in: entries, keyfile: "k") }
            let whole = Result { () throws(InstanceLookupError) in try KeyfileReader.find(query, in: all, keyfile: "k") }
            #expect(fast == whole, "\(query)")
        }
        // Canonical equivalence as before: "é" written as e + U+0301 answers to "é".
        #expect(try KeyfileReader.find("é", in: entries, keyfile: "k").id == 2)
    }

    /// A lookup that keeps only the entries its name or id can find, while reading, answers as
    /// the lookup over all of them: the same instance, or the same error (ambiguous names, a
    /// name that is another's id, none, an empty keyfile).
    @Test(arguments: [
        #"{"instances": [{"name": "bot", "id": 1, "token": "t1"}, {"name": "é", "id": 2, "token": "t2"}, {"name": "K", "id": 3, "token": "t3"}, {"name": "7", "id": 4, "token": "t4"}, {"id": 7, "token": "t7"}, {"name": "twice", "id": 8, "token": "a"}, {"name": "twice", "id": 9, "token": "b"}, {"name": "", "id": 10, "token": "c"}, {"id": "11", "token": "d"}, {"note": "x"}]}"#,
        #"{"instances": [{"note": "only notes"}]}"#, #"{"instances": []}"#, #"{}"#,
    ])
    func aLookupThatKeepsOnlyItsMatchesAnswersAsBefore(text: String) throws {
        let all = try KeyfileReader.entries(bytes: Array(text.utf8), path: "k")
        for query in ["bot", "é", "K", "K", "name:7", "id:7", "4", "7", "nobody", "name:", "", "twice", "8", "id:11", "11", "name:twice", "id:x", "-0", "0"] {
            let kept = try KeyfileReader.entries(bytes: Array(text.utf8), path: "k", matching: query)
            #expect(kept.held == all.held && kept.count <= 3, "\(query)")
            let fast = Result { () throws(InstanceLookupError) in try KeyfileReader.find(query, in: kept, keyfile: "k") }
            let whole = Result { () throws(InstanceLookupError) in try KeyfileReader.find(query, in: Array(all), keyfile: "k") }
            #expect(fast == whole, "\(query)")
        }
    }
}
