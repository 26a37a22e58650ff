import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

@Suite struct KeyfileTests {
    func entry(_ id: Int64, base: String = "https://api.cloud-elements.com/elements/api-v2") -> KeyfileEntry {
        KeyfileEntry(name: "n\(id)", id: id, token: Secret("token-\(id)"), element: "gmail", baseURL: base,
                     created: "2026-11-23T11:00:00Z")
    }

    @Test func mergeKeepsEntriesAndUnknownFields() throws {
        let existing = Data(#"{"instances": [{"id": 1, "token": "t1", "note": "mine", "baseUrl": "https://api.cloud-elements.com/elements/api-v2"}], "owner": "me"}"#.utf8)
        let merged = try JSONValue.parse(KeyfileDocument.merge(existing: existing, entry: entry(2), path: "k"))
        #expect(merged["owner"] == .string("me"))
        let items = KeyfileDocument.entries(merged.encoded())
        #expect(items.count == 2)
        #expect(items[0]["note"] == .string("mine"))
        #expect(items[1] == .object([
            "name": .string("n2"), "id": .integer(2), "token": .string("token-2"), "element": .string("gmail"),
            "baseUrl": .string("https://api.cloud-elements.com/elements/api-v2"), "created": .string("2026-11-23T11:00:00Z"),
        ]))
    }

    @Test func sameIDOnSameServiceIsReplacedOtherServicesKept() throws {
        var data = try KeyfileDocument.merge(existing: nil, entry: entry(5), path: "k")
        data = try KeyfileDocument.merge(existing: data, entry: entry(5, base: "https://api.cloud-elements.co.uk/elements/api-v2"), path: "k")
        var replaced = entry(5)
        replaced.token = Secret("new")
        // A field of the user's on the entry stays when it is updated.
        data = Data(String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\"token\": \"token-5\"",
                                                                               with: "\"token\": \"token-5\", \"note\": \"mine\"").utf8)
        data = try KeyfileDocument.merge(existing: data, entry: replaced, path: "k")
        let items = KeyfileDocument.entries(data)
        #expect(items.count == 2)
        // Updated where it stands: the first entry is still the first.
        #expect(items.first?["token"] == .string("new"))
        #expect(items.first?["note"] == .string("mine"))
        #expect(items.last?["baseUrl"] == .string("https://api.cloud-elements.co.uk/elements/api-v2"))
    }

    @Test(arguments: ["{", "[]", #"{"instances": {}}"#, "null x"])
    func unparseableKeyfilesAreRefused(text: String) {
        #expect(throws: KeyfileError.self) { try KeyfileDocument.merge(existing: Data(text.utf8), entry: entry(1), path: "k") }
    }

    @Test func emptyFileCountsAsNew() throws {
        let data = try KeyfileDocument.merge(existing: Data("  \n".utf8), entry: entry(1), path: "k")
        #expect(KeyfileDocument.entries(data).count == 1)
    }

    @Test func defaultPathFollowsXDG() throws {
        #expect(try KeyfileDocument.defaultPath(environment: ["XDG_CONFIG_HOME": "/x/cfg", "HOME": "/h"]) == "/x/cfg/ceauth/keys.json")
        #expect(try KeyfileDocument.defaultPath(environment: ["XDG_CONFIG_HOME": "relative", "HOME": "/h"]) == "/h/.config/ceauth/keys.json")
        #expect(throws: KeyfileError.noLocation) { try KeyfileDocument.defaultPath(environment: [:]) }
    }

    @Test func storeWrites0600In0700AndLeavesNoTemporaryFiles() throws {
        let directory = TemporaryDirectory()
        let path = directory.path + "/a/b/keys.json"
        let store = KeyfileStore(path: path)
        try store.save(entry(1))
        try store.save(entry(2))
        #expect(fileMode(path) == 0o600)
        #expect(fileMode(directory.path + "/a/b") == 0o700)
        #expect(fileMode(directory.path + "/a") == 0o700)
        let data = try #require(FileManager.default.contents(atPath: path))
        #expect(KeyfileDocument.entries(data).count == 2)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/a/b").filter { $0.contains(".tmp.") }
        #expect(leftovers.isEmpty)
    }

    @Test func widerPermissionsAreReportedAndNarrowed() throws {
        let directory = TemporaryDirectory()
        let path = directory.path + "/keys.json"
        try Data(#"{"instances": []}"#.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o644)
        chmod(directory.path, 0o755)
        let report = try KeyfileStore(path: path).save(entry(1))
        // The folder holds only the keyfile, so it is narrowed too.
        #expect(report.warnings.count == 2)
        #expect(report.warnings.contains { $0.contains("was readable by others (mode 0644)") })
        #expect(report.warnings.contains { $0.contains("was open to other users (mode 0755); it is now 0700") })
        #expect(fileMode(path) == 0o600)
        #expect(fileMode(directory.path) == 0o700)
    }

    @Test func unparseableFileIsNeverOverwritten() throws {
        let directory = TemporaryDirectory()
        let path = directory.path + "/keys.json"
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: KeyfileError.self) { try KeyfileStore(path: path).save(entry(1)) }
        #expect(throws: KeyfileError.self) { try KeyfileStore(path: path).preflight() }
        #expect(FileManager.default.contents(atPath: path) == Data("garbage".utf8))
    }

    @Test func symlinkIsNotFollowed() throws {
        let directory = TemporaryDirectory()
        let target = directory.path + "/target.json"
        let path = directory.path + "/keys.json"
        try Data(#"{"instances": []}"#.utf8).write(to: URL(fileURLWithPath: target))
        symlink(target, path)
        #expect(throws: KeyfileError.symlink(path: path)) { try KeyfileStore(path: path).save(entry(1)) }
        #expect(throws: KeyfileError.symlink(path: path)) { try KeyfileStore(path: path).preflight() }
        #expect(FileManager.default.contents(atPath: target) == Data(#"{"instances": []}"#.utf8))
    }

    @Test func concurrentSavesAllLand() throws {
        let directory = TemporaryDirectory()
        let path = directory.path + "/keys.json"
        let errors = Locked<[String]>([])
        let group = DispatchGroup()
        for id in 1...16 {
            group.enter()
            Thread {
                do { try KeyfileStore(path: path).save(KeyfileEntry(
                    name: "n", id: Int64(id), token: Secret("t\(id)"), element: "gmail", baseURL: "b", created: "c"))
                } catch { errors.with { $0.append("\(error)") } }
                group.leave()
            }.start()
        }
        #expect(group.wait(timeout: .now() + 30) == .success)
        #expect(errors.current.isEmpty)
        let ids = Set(KeyfileDocument.entries(try #require(FileManager.default.contents(atPath: path))).compactMap { item -> Int64? in
            if case .integer(let id)? = item["id"] { return id }
            return nil
        })
        #expect(ids == Set(1...16))
    }
}

/// A rewrite keeps what ceauth does not own, exactly; a file it cannot keep that way is refused.
@Suite struct LosslessKeyfileTests {
    let entry = KeyfileEntry(name: "new", id: 9, token: Secret("t9"), element: "gmail", baseURL: "https://x.example", created: "c")

    func merged(_ text: String) throws -> String {
        String(decoding: try KeyfileDocument.merge(existing: Data(text.utf8), entry: entry, path: "k"), as: UTF8.self)
    }

    @Test(arguments: [
        #"{"instances": [{"id": 1, "token": "A"}], "instances": [{"id": 2, "token": "B"}]}"#,
        #"{"instances": [{"id": 1, "token": "A", "token": "B"}]}"#,
        #"{"instances": [], "x": {"a": 1, "\u0061": 2}}"#,
    ])
    func aDuplicatedKeyIsRefusedNeverMerged(text: String) {
        #expect {
            try merged(text)
        } throws: { error in
            guard case KeyfileError.unparseable(_, let reason) = error else { return false }
            return reason.contains("appears twice in one object")
        }
    }

    @Test func numbersAndStringsSurviveByteForByte() throws {
        let kept = [
            #""big": 18446744073709551615"#, #""negativeZero": -0"#, #""exp": 1.0E+2"#, #""tiny": 0.1000000000000000055511151231257827"#,
            #""precomposed café": "caf\u00e9""#, "\"decomposed cafe\u{301}\": \"cafe\u{301}\"",
            #""lone": "\ud800""#, #""slash": "a\/b""#, #""unicode": "ünï""#,
        ]
        let text = "{\"instances\": [{\"id\": 1, \"token\": \"t1\", \"baseUrl\": \"https://x.example\", \(kept[0])}], " + kept.dropFirst().joined(separator: ", ") + "}"
        let out = try merged(text)
        for member in kept { #expect(out.contains(member), "lost \(member) in \(out)") }
        // Keys equal only after Unicode normalisation are two keys, and both stay.
        let parsed = try LosslessJSON.parse(Data(out.utf8))
        guard case .object(let members) = parsed else { Issue.record("not an object"); return }
        #expect(members.map(\.key.value) == ["instances", "negativeZero", "exp", "tiny", "precomposed café",
                                             "decomposed cafe\u{301}", "lone", "slash", "unicode"])
        #expect(KeyfileDocument.entries(Data(out.utf8)).count == 2)
    }

    @Test func aSecondRewriteChangesNothingButTheNewEntry() throws {
        let once = try merged(#"{"z": 1, "instances": [{"id": 9, "baseUrl": "https://x.example", "token": "old"}], "a": [1, 2.50]}"#)
        #expect(once.contains("\"token\": \"t9\"") && !once.contains("old"))
        let twice = String(decoding: try KeyfileDocument.merge(existing: Data(once.utf8), entry: entry, path: "k"), as: UTF8.self)
        #expect(twice == once)
        #expect(once.contains("2.50"))
        #expect(once.firstRange(of: "\"z\"")!.lowerBound < once.firstRange(of: "\"a\"")!.lowerBound)
    }

    @Test(arguments: ["{\"a\": 01}", "{\"a\": \"\u{01}\"}", "{\"a\": \"\\x\"}", "{\"a\": \"\\u+123\"}", "[1,]", "{\"a\" 1}",
                      "{\"a\": 1} x", String(repeating: "[", count: 300) + String(repeating: "]", count: 300), "\"\\ud800", "nul"])
    func invalidJSONIsRefused(text: String) {
        #expect(throws: LosslessJSON.ParseError.self) { try LosslessJSON.parse(Data(text.utf8)) }
    }

    @Test func invalidUTF8IsRefused() {
        #expect(throws: LosslessJSON.ParseError.self) { try LosslessJSON.parse([0x22, 0xC3, 0x28, 0x22]) }
        #expect(throws: LosslessJSON.ParseError.self) { try LosslessJSON.parse([0x22, 0xED, 0xA0, 0x80, 0x22]) }
    }

    @Test func stringsCeauthWritesAreSafeToCat() {
        let escaped = JSONString("a\u{1b}]0;x\u{07}b\u{202e}c\u{85}\"\\")
        #expect(escaped.raw == #"a\u001b]0;x\u0007b\u202ec\u0085\"\\"#)
        #expect(escaped.value == "a\u{1b}]0;x\u{07}b\u{202e}c\u{85}\"\\")
        #expect((try? LosslessJSON.parse(Data(("\"" + escaped.raw + "\"").utf8)).stringValue) == escaped.value)
    }
}
