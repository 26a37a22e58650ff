import Foundation
import Testing
@testable import CEAuthCore

/// The pure parts of the third hardening round: verdicts, parsers and merges without I/O.
struct ThirdHardeningTests {
    @Test func configFileVerdicts() {
        let user: UInt32 = 1000
        func file(_ owner: UInt32, _ mode: UInt32, _ kind: FileFacts.Kind = .regular) -> FileFacts { FileFacts(kind: kind, owner: owner, mode: mode) }
        #expect(ConfigFilePlace.file(file(user, 0o600), isLink: false, user: user) == nil)
        #expect(ConfigFilePlace.file(file(0, 0o644), isLink: false, user: user) == nil)
        #expect(ConfigFilePlace.file(file(user, 0o666), isLink: false, user: user) == "can be written by other users (mode 0666)")
        #expect(ConfigFilePlace.file(file(user, 0o620), isLink: false, user: user) != nil)
        #expect(ConfigFilePlace.file(file(1001, 0o600), isLink: false, user: user) == "belongs to another user (uid 1001)")
        #expect(ConfigFilePlace.file(file(1001, 0o777, .symlink), isLink: true, user: user)?.contains("symbolic link") == true)
        #expect(ConfigFilePlace.file(file(user, 0o777, .symlink), isLink: true, user: user) == nil)
        #expect(ConfigFilePlace.file(file(user, 0o600, .directory), isLink: false, user: user) == "is not a regular file")
        #expect(ConfigFilePlace.folder(file(user, 0o700, .directory), user: user) == nil)
        #expect(ConfigFilePlace.folder(file(0, 0o1777, .directory), user: user) == nil)
        #expect(ConfigFilePlace.folder(file(user, 0o777, .directory), user: user) != nil)
        #expect(ConfigFilePlace.folder(file(1001, 0o755, .directory), user: user) != nil)
    }

    @Test func profileNamesAreWords() {
        for good in ["default", "work-2", "a.b_c"] { #expect((try? ConfigFile.checkProfileName(good, option: "--profile")) != nil) }
        for bad in ["", "x]", "a b", "x\n[y", "é", "a/b"] {
            #expect(throws: ConfigurationError.self) { try ConfigFile.checkProfileName(bad, option: "--profile") }
        }
        #expect(SecretCommand.problem("./rel") != nil && SecretCommand.problem("bin/x") != nil)
        #expect(SecretCommand.problem("/usr/bin/pass") == nil && SecretCommand.problem("pass") == nil)
    }

    @Test func idsWrittenAsStringsAreOneNotion() throws {
        let text = #"{"instances": [{"name": "a", "id": "481234", "token": "t", "baseUrl": "https://x"}, {"name": "b", "id": 5, "token": "u", "baseUrl": "https://x", "note": 1.0E+2}]}"#
        let entry = KeyfileEntry(name: "a", id: 481234, token: Secret("new"), element: "gmail", baseURL: "https://x", created: "c")
        let merged = String(decoding: try KeyfileDocument.merge(existing: Data(text.utf8), entry: entry, path: "k"), as: UTF8.self)
        let items = KeyfileDocument.entries(Data(merged.utf8))
        #expect(items.count == 2 && items[0]["token"] == .string("new"))
        #expect(merged.contains("1.0E+2"), "an untouched entry keeps its spelling")
        let removed = try #require(try KeyfileDocument.remove(existing: Data(text.utf8), id: 481234, baseURL: "https://x", path: "k"))
        #expect(KeyfileDocument.entries(removed).count == 1)
        #expect(try KeyfileReader.instances(Data(text.utf8), path: "k").first?.id == 481234)
    }

    @Test func aNameThatIsAnotherIdIsAmbiguous() throws {
        let named = KeyfileEntry(name: "481235", id: 111, token: Secret("t1"), element: "gmail", baseURL: "https://x", created: "")
        let numbered = KeyfileEntry(name: "x", id: 481235, token: Secret("t2"), element: "gmail", baseURL: "https://x", created: "")
        let both = [named, numbered]
        #expect(throws: InstanceLookupError.nameAndID("481235", named: named.summary, numbered: numbered.summary)) {
            try KeyfileReader.find("481235", in: both, keyfile: "k")
        }
        #expect(try KeyfileReader.find("name:481235", in: both, keyfile: "k") == named)
        #expect(try KeyfileReader.find("id:481235", in: both, keyfile: "k") == numbered)
        #expect(try KeyfileReader.find("111", in: both, keyfile: "k") == named)
        // An instance named after its own id is one instance, not two.
        let itself = KeyfileEntry(name: "77", id: 77, token: Secret("t3"), element: "gmail", baseURL: "https://x", created: "")
        #expect(try KeyfileReader.find("77", in: [itself], keyfile: "k") == itself)
    }

    @Test func damageDependsOnWhatTheCommandDoes() throws {
        var entry = KeyfileEntry(name: "n", id: 1, token: Secret("tok-123456"), element: "", baseURL: "", created: "")
        #expect(entry.damage(sending: false) == nil)
        #expect(entry.damage(sending: true) == "it names no element")
        entry.token = Secret("")
        #expect(entry.damage(sending: false) != nil)
        #expect(throws: KeyfileError.self) { try entry.usable(keyfile: "k", sending: false) }
    }

    @Test func reauthorizationKeepsWhatIsNotTheGrant() {
        let current: JSONValue = .object([
            "id": .integer(9), "name": .string("prod"), "token": .string("INSTANCETOKEN-old"), "tags": .array([.string("prod")]),
            "element": .object(["key": .string("gmail"), "id": .integer(3317)]),
            "configuration": .object([
                "oauth.api.key": .string("old-client"), "oauth.user.token": .string("ya29.old"), "oauth.user.refresh_token": .string("1//old"),
                "event.notification.enabled": .bool(true), "event.notification.callback.url": .string("https://hooks/x"),
                "event.poller.refresh_interval": .integer(5), "custom.key": .string("kept"),
            ]),
        ])
        let fresh: JSONValue = .object([
            "name": .string("ignored"), "tags": .array([]), "element": .object(["key": .string("gmail")]),
            "providerData": .object(["code": .string("new-code")]),
            "configuration": .object(["oauth.api.key": .string("new-client"), "oauth.api.secret": .string("s"),
                                      "oauth.callback.url": .string("http://127.0.0.1:1/"), "event.notification.enabled": .bool(false)]),
        ])
        let kept = Reauthorization.body(current: current, fresh: fresh, changeEvents: false, changeTags: false)
        #expect(kept["token"] == nil && kept["name"] == .string("prod") && kept["tags"] == .array([.string("prod")]))
        #expect(kept["providerData"]?["code"] == .string("new-code"))
        #expect(kept["configuration"]?["oauth.api.key"] == .string("new-client"))
        #expect(kept["configuration"]?["oauth.user.token"] == nil && kept["configuration"]?["oauth.user.refresh_token"] == nil)
        #expect(kept["configuration"]?["event.notification.enabled"] == .bool(true))
        #expect(kept["configuration"]?["event.poller.refresh_interval"] == .integer(5))
        #expect(kept["configuration"]?["custom.key"] == .string("kept"))
        #expect(kept["element"]?["id"] == .integer(3317))
        let changed = Reauthorization.body(current: current, fresh: fresh, changeEvents: true, changeTags: true)
        #expect(changed["configuration"]?["event.notification.enabled"] == .bool(false))
        #expect(changed["configuration"]?["event.poller.refresh_interval"] == nil)
        #expect(changed["tags"] == .array([]))
        #expect(Reauthorization.oldGrantSecrets(current).sorted() == ["1//old", "ya29.old"])
    }

    @Test func everyFormOfASecretIsRedactedAndReferenced() {
        let secret = #"CLIENT"SECRET\with space/é"#
        let redactor = Redactor([secret])
        let json = String(decoding: JSONValue.object(["s": .string(secret)]).encoded(), as: UTF8.self)
        #expect(!redactor.redact(json).contains("SECRET"), "\(redactor.redact(json))")
        #expect(!redactor.redact("q=" + FormEncoding.encode(secret)).contains("SECRET"))
        #expect(!redactor.redact(FormEncoding.query([("client_secret", secret)])).contains("SECRET"))
        #expect(!redactor.redact(#"{"s": ""# + JSONString.escape(secret) + #""}"#).contains("SECRET"))
        let request = HTTPRequest(method: "POST", url: URL(string: "https://x/token")!, headers: [:],
                                  body: Data(FormEncoding.query([("client_secret", secret)]).utf8), timeoutSeconds: 1)
        let shown = DryRun.show(request, references: [(secret, "CEAUTH_CLIENT_SECRET")])
        #expect(shown.body == "client_secret=$CEAUTH_CLIENT_SECRET", "\(shown.body ?? "")")
    }

    @Test func hostileTokenAnswersDoNotTrap() throws {
        func parse(_ body: String) throws -> GrantedTokens {
            try GoogleTokenClient.parse(HTTPResponse(status: 200, headers: [:], body: Data(body.utf8)), clientID: "c")
        }
        for lifetime in ["1e300", "-5", "0", "\"nan\"", "\"1e309\"", "9223372036854775807", "\"inf\""] {
            let tokens = try parse(#"{"access_token": "ya29.a", "refresh_token": "1//r", "refresh_token_expires_in": \#(lifetime)}"#)
            #expect(tokens.refreshTokenExpiresIn == nil, "\(lifetime)")
        }
        #expect(try parse(#"{"access_token": "ya29.a", "refresh_token_expires_in": 604799.5}"#).refreshTokenExpiresIn == 604799)
        #expect(throws: TokenExchangeError.unusableGrant(refreshToken: Secret("1//r"), reason: "HTTP 200 without an access_token")) {
            try parse(#"{"access_token": "", "refresh_token": "1//r"}"#)
        }
    }

    @Test func numericSettingsAreBounded() throws {
        for bad in ["nan", "-inf", "inf", "0", "601", "", "ten", "1e400"] {
            #expect(throws: ConfigurationError.self) { try Settings.boundedSeconds(bad, name: "V", range: 0.1...600) }
        }
        #expect(try Settings.boundedSeconds(" 2.5 ", name: "V", range: 0.1...600) == 2.5)
        #expect(try Settings.secretCommandTimeout(environment: [:]) == 10)
    }

    @Test func completionWordsAreSafeForEachShell() {
        let names = ["a $(id)", "b`id`", "plain-name", "with space", "c:d", "x\u{1b}[2J", "12"]
        #expect(CompletionWords.offer(names, prefix: "", shell: "bash") == ["plain-name", "12"])
        #expect(CompletionWords.offer(names, prefix: "", shell: nil) == ["plain-name", "12"])
        #expect(CompletionWords.offer(names, prefix: "", shell: "zsh") == ["a $(id)", "b`id`", "plain-name", "with space", "c\\:d", "12"])
        #expect(CompletionWords.offer(names, prefix: "p", shell: "fish") == ["plain-name"])
    }

    @Test func standardInputLinesAreBounded() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let text = "first\r\n" + String(repeating: "z", count: 100) + "\nrest"
        _ = text.withCString { write(fds[1], $0, strlen($0)) }
        close(fds[1])
        defer { close(fds[0]) }
        #expect(StandardInput.readLine(limit: 50, fd: fds[0]) == .line("first"))
        #expect(StandardInput.readLine(limit: 50, fd: fds[0]) == .tooLong(limit: 50))
    }
}
