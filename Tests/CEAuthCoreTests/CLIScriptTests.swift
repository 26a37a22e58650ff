import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

/// The commands scripts use to live with their instances: list, show, token, header, elements.
extension CLITests {
    /// A keyfile with a real login's instance plus hand-made ones: two sharing a name, and one
    /// id held for two Cloud Elements hosts.
    func scriptKeyfile() async throws -> (harness: LoginHarness, environment: [String: String], created: JSONValue) {
        let harness = try LoginHarness()
        let login = try await run(["login", "gmail", "--no-browser", "--json", "--name", "mail-bot"], environment: harness.environment,
                            browser: TestBrowser())
        #expect(login.status == 0, "stderr: \(login.stderr)")
        let created = try JSONValue.parse(Data(login.stdout.utf8))
        let text = try #require(String(data: FileManager.default.contents(atPath: harness.keyfile) ?? Data(), encoding: .utf8))
        let extra = """
        {"name": "twin", "id": 11, "token": "TOKEN-twin-a", "element": "gmail", "baseUrl": "https://api.cloud-elements.com/elements/api-v2", "created": "2026-11-20T10:00:00Z"},
        {"name": "twin", "id": 12, "token": "TOKEN-twin-b", "element": "googlecalendar", "baseUrl": "https://api.cloud-elements.com/elements/api-v2", "created": "2026-11-21T10:00:00Z"},
        {"name": "eu-cal", "id": 13, "token": "TOKEN-eu", "element": "googlecalendar", "baseUrl": "https://api.cloud-elements.co.uk/elements/api-v2", "created": "2026-11-22T10:00:00Z"},
        {"name": "us-cal", "id": 13, "token": "TOKEN-us", "element": "googlecalendar", "baseUrl": "https://api.cloud-elements.com/elements/api-v2", "created": "2026-11-22T11:00:00Z"},
        """
        let merged = text.replacingOccurrences(of: "\"instances\": [", with: "\"instances\": [\n" + extra)
        try Data(merged.utf8).write(to: URL(fileURLWithPath: harness.keyfile))
        return (harness, harness.environment, created)
    }

    @Test func listShowsTheKeyfileAsATableOrJSONWithoutTokens() async throws {
        let (harness, env, created) = try await scriptKeyfile()
        defer { withExtendedLifetime(harness) {} }
        let table = try await run(["list"], environment: env)
        #expect(table.status == 0, "stderr: \(table.stderr)")
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.first == "NAME\tID\tELEMENT\tHOST\tCREATED\tTOKEN IN")
        #expect(lines.dropFirst().allSatisfy { $0.hasSuffix("\tkeyfile") })
        #expect(lines.count == 6)
        #expect(lines.contains { $0.hasPrefix("eu-cal\t13\tgooglecalendar\tapi.cloud-elements.co.uk\t") })
        #expect(!table.stdout.contains("TOKEN-") && !table.stdout.contains("INSTANCETOKEN-"))

        let json = try await run(["list", "--json"], environment: env)
        let items = try JSONValue.parse(Data(json.stdout.utf8))
        guard case .array(let array) = items else { Issue.record("not an array: \(json.stdout)"); return }
        #expect(array.count == 5)
        #expect(array.last?["name"] == .string("mail-bot"))
        #expect(array.last?["id"] == created["id"])
        #expect(array.allSatisfy { $0["token"] == nil })
        #expect(json.stderr.isEmpty)
    }

    @Test func anEmptyOrMissingKeyfileListsNothing() async throws {
        let harness = try LoginHarness()
        let text = try await run(["list"], environment: harness.environment)
        #expect(text.status == 0)
        #expect(text.stdout.isEmpty && text.stderr.contains("No instances in"))
        let json = try await run(["list", "--json"], environment: harness.environment)
        #expect(json.stdout == "[]\n")
    }

    @Test func showFindsByNameOrIDAndRevealsTheTokenOnlyWhenAsked() async throws {
        let (harness, env, created) = try await scriptKeyfile()
        defer { withExtendedLifetime(harness) {} }
        let shown = try await run(["show", "mail-bot"], environment: env)
        #expect(shown.status == 0, "stderr: \(shown.stderr)")
        guard case .integer(let id)? = created["id"] else { Issue.record("no id in \(created)"); return }
        #expect(shown.stdout.contains("id:       \(id)\n"))
        #expect(shown.stdout.contains("token:    (hidden"))
        #expect(!shown.stdout.contains("INSTANCETOKEN-"))
        let token = try #require(created["token"]?.stringValue)
        let revealed = try await run(["show", "mail-bot", "--reveal"], environment: env)
        #expect(revealed.stdout.contains("token:    \(token)\n"))
        let byID = try await run(["show", "11", "--json"], environment: env)
        let json = try JSONValue.parse(Data(byID.stdout.utf8))
        #expect(json["name"] == .string("twin") && json["element"] == .string("gmail") && json["token"] == nil)
        let byIDRevealed = try JSONValue.parse(Data(try await run(["show", "11", "--json", "--reveal"], environment: env).stdout.utf8))
        #expect(byIDRevealed["token"] == .string("TOKEN-twin-a"))
        for run in [shown, revealed, byID] { expectNoSecrets(run, allowToken: token) }
    }

    @Test func anAmbiguousOrUnknownInstanceExits9ListingTheCandidates() async throws {
        let (harness, env, _) = try await scriptKeyfile()
        defer { withExtendedLifetime(harness) {} }
        let twin = try await run(["token", "twin"], environment: env)
        #expect(twin.status == 9)
        #expect(twin.stdout.isEmpty)
        #expect(twin.stderr.contains("'twin' names 2 instances; give the id of one:"))
        #expect(twin.stderr.contains("'twin' (id 11, gmail, api.cloud-elements.com)"))
        #expect(twin.stderr.contains("'twin' (id 12, googlecalendar, api.cloud-elements.com)"))
        // One id on two hosts (a sandbox and a real one, say) is ambiguous too; the names tell them apart.
        let both = try await run(["token", "13"], environment: env)
        #expect(both.status == 9)
        #expect(both.stderr.contains("api.cloud-elements.co.uk") && both.stderr.contains("'us-cal' (id 13"))
        #expect(try await run(["token", "us-cal"], environment: env).stdout == "TOKEN-us\n")
        let unknown = try await run(["show", "nope"], environment: env)
        #expect(unknown.status == 9)
        #expect(unknown.stderr.contains("no instance named or numbered 'nope'"))
    }

    @Test func tokenPrintsTheTokenAloneForScripts() async throws {
        let (harness, env, created) = try await scriptKeyfile()
        defer { withExtendedLifetime(harness) {} }
        let token = try #require(created["token"]?.stringValue)
        let run = try await run(["token", "mail-bot"], environment: env)
        #expect(run.status == 0)
        #expect(run.stdout == token + "\n")
        #expect(run.stderr.isEmpty)
        expectNoSecrets(run, allowToken: token)
    }

    @Test func headerPrintsTheWholeAuthorizationValue() async throws {
        let (harness, env, _) = try await scriptKeyfile()
        defer { withExtendedLifetime(harness) {} }
        let run = try await run(["header", "12"], environment: env)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        // The secrets are what was asked for here, on stdout only.
        #expect(run.stdout == "User \(SandboxSecrets.user), Organization \(SandboxSecrets.org), Element TOKEN-twin-b\n")
        #expect(run.stderr.isEmpty)
        var missing = env
        missing["CEAUTH_ORG_SECRET"] = nil
        let refused = try await self.run(["header", "12"], environment: missing)
        #expect(refused.status == 64)
        #expect(refused.stdout.isEmpty && refused.stderr.contains("CEAUTH_ORG_SECRET"))
        expectNoSecrets(refused)
    }

    @Test func aTokenWithAControlCharacterIsNotPrinted() async throws {
        let harness = try LoginHarness()
        try FileManager.default.createDirectory(atPath: (harness.keyfile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(#"{"instances": [{"name": "odd", "id": 1, "token": "abc\u001b]0;x\u0007"}]}"#.utf8).write(to: URL(fileURLWithPath: harness.keyfile))
        let run = try await run(["token", "odd"], environment: harness.environment)
        #expect(run.status == 6)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("holds a control character"))
        expectNothingUnsafe(run.stderr, "stderr")
    }

    @Test func elementsListsTemplatesWithTheirSourceAsTextOrJSON() async throws {
        let directory = TemporaryDirectory()
        let builtIn = try String(data: JSONValue.parse(TemplateLibrary.builtIn.page("gmail.json").data(using: .utf8)!).encoded(), encoding: .utf8)!
        try Data(builtIn.utf8).write(to: URL(fileURLWithPath: directory.path + "/gmail.json"))
        let run = try await run(["elements", "--json", "--templates", directory.path], environment: [:])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        guard case .array(let items) = try JSONValue.parse(Data(run.stdout.utf8)) else { Issue.record("not an array"); return }
        #expect(items.map { $0["key"]?.stringValue } == ["gmail", "googlecalendar"])
        #expect(items[0]["source"] == .string(directory.path + "/gmail.json"))
        #expect(items[1]["source"] == .string("built-in googlecalendar.json"))
        #expect(items[1]["hub"] == .string("scheduling"))
        #expect(items[1]["scopes"] == .array([.string("https://www.googleapis.com/auth/calendar")]))
    }
}

extension CLITests {
    @Test func listRemoteFollowsEveryPageAndMarksTheKeyfilesInstances() async throws {
        let harness = try LoginHarness()
        let mine = await [try loggedIn(harness, name: "a"), try loggedIn(harness, element: "googlecalendar", name: "b"),
                    try loggedIn(harness, name: "c")]
        harness.cloudElements.instances.with {
            $0[900_001] = .init(token: "T1", element: "gmail", name: "someone else's")
            $0[900_002] = .init(token: "T2", element: "googlecalendar", name: "broken", valid: false)
        }
        harness.cloudElements.listPageSize.with { $0 = 2 }
        let run = try await run(["list", "--remote", "--json"], environment: harness.environment)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        guard case .array(let items) = try JSONValue.parse(Data(run.stdout.utf8)) else { Issue.record("not an array"); return }
        #expect(items.count == 5)
        #expect(harness.cloudElements.calls.current == Array(repeating: "GET /elements/api-v2/instances", count: 3))
        let marked = items.filter { $0["inKeyfile"] == .bool(true) }.compactMap { item -> Int64? in
            if case .integer(let id)? = item["id"] { return id } else { return nil }
        }
        #expect(marked == mine)
        #expect(items.contains { $0["name"] == .string("broken") && $0["valid"] == .bool(false) && $0["inKeyfile"] == .bool(false) })

        let text = try await self.run(["list", "--remote"], environment: harness.environment)
        #expect(text.stdout.hasPrefix("NAME\tID\tELEMENT\tSTATE\tEVENTS\tIN KEYFILE\n"))
        #expect(text.stdout.contains("broken\t900002\tgooglecalendar\tinvalid\toff\tno\n"))
        #expect(text.stderr.contains("5 instances at 127.0.0.1, 3 of them in the keyfile."))
        var wrong = harness.environment
        wrong["CEAUTH_USER_SECRET"] = "USERSECRET-not-the-right-one"
        #expect(try await self.run(["list", "--remote"], environment: wrong).status == 4)
    }

    @Test func pagingThatNeverEndsIsAnUnusableAnswer() async throws {
        let server = try EmulatorServer { _ in
            var response = EmulatorResponse.json(200, .array([.object(["id": .integer(1), "name": .string("x")])]))
            response.headers.append(("Elements-Next-Page-Token", "again"))
            return response
        }
        defer { server.stop() }
        var env = SandboxSecrets.environment
        env["CEAUTH_BASE_URL"] = server.baseURL + "/elements/api-v2"
        env["HOME"] = TemporaryDirectory().path
        let run = try await run(["list", "--remote"], environment: env)
        #expect(run.status == 8)
        #expect(run.stderr.contains("its paging repeats the page token again"))
    }
}

extension CLITests {
    @Test func tokenHeaderAndConfigAlsoSpeakJSON() async throws {
        let (harness, env, created) = try await scriptKeyfile()
        defer { withExtendedLifetime(harness) {} }
        let token = try JSONValue.parse(Data(try await run(["token", "mail-bot", "--json"], environment: env).stdout.utf8))
        #expect(token["token"] == created["token"] && token["name"] == .string("mail-bot"))
        let header = try JSONValue.parse(Data(try await run(["header", "12", "--json"], environment: env).stdout.utf8))
        #expect(header["header"] == .string("User \(SandboxSecrets.user), Organization \(SandboxSecrets.org), Element TOKEN-twin-b"))
        #expect(try await run(["config", "set", "env", "eu", "--json"], environment: env).stdout == #"{"profile":"default","key":"env","value":"eu"}"# + "\n")
        let unset = try await run(["config", "get", "tags", "--json"], environment: env)
        #expect(unset.status == 1 && unset.stdout == #"{"profile":"default","key":"tags","value":null}"# + "\n")
    }
}
