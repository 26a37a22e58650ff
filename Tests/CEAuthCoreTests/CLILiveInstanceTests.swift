import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

/// Issue 17: looking after a live instance (events, enabled state, tags, adopting, status),
/// against the emulated Cloud Elements, whose answers echo the client secret and OAuth tokens.
extension CLITests {
    /// Nothing secret on either stream: the platform and client secrets, Google's tokens, and
    /// (unless the command prints it on purpose) the instance token.
    func expectNothingSecret(_ run: Run, _ harness: LoginHarness, sourceLocation: SourceLocation = #_sourceLocation) {
        expectNoSecrets(run, sourceLocation: sourceLocation)
        expectNoGoogleTokens(run, harness, sourceLocation: sourceLocation)
        #expect(!run.stdout.contains("INSTANCETOKEN-"), "an instance token on stdout: \(run.stdout)", sourceLocation: sourceLocation)
    }

    func events(_ harness: LoginHarness, _ id: Int64) -> InstanceEvents {
        InstanceEvents(configuration: harness.cloudElements.instances.current[id]?.configuration ?? [:])
    }

    @Test func eventsAreShownChangedAndTurnedOffWithoutANewConsent() async throws {
        let harness = try LoginHarness()
        let login = try await run(["login", "gmail", "--no-browser", "--name", "mail", "--events-url", "https://hooks.example.com/a",
                                   "--poll-interval", "5"], environment: harness.environment, browser: TestBrowser())
        #expect(login.status == 0, "stderr: \(login.stderr)")
        let id = try #require(harness.keyfileEntries().first?["id"]).integerValue!
        let consents = harness.google.authorizationRequests.current.count

        let shown = try await run(["events", "mail", "--json"], environment: harness.environment)
        #expect(shown.status == 0, "stderr: \(shown.stderr)")
        let json = try JSONValue.parse(Data(shown.stdout.utf8))
        #expect(json["events"]?["enabled"] == .bool(true))
        #expect(json["events"]?["callbackUrl"] == .string("https://hooks.example.com/a"))
        #expect(json["events"]?["pollIntervalMinutes"] == .integer(5))
        #expect(json["events"]?["resources"]?.arrayValue?.first?["url"] == .string("/hubs/general/changed-messages"))
        expectNothingSecret(shown, harness)

        // --dry-run sends nothing and shows the secrets as references.
        let dry = try await run(["events", "mail", "--url", "https://new.example.com/b", "--dry-run"], environment: harness.environment)
        #expect(dry.status == 0, "stderr: \(dry.stderr)")
        #expect(dry.stdout.contains("PATCH") && dry.stdout.contains("$CEAUTH_USER_SECRET"), "\(dry.stdout)")
        #expect(harness.cloudElements.patches.current.isEmpty)
        expectNothingSecret(dry, harness)

        // A new callback: one PATCH with the event keys; the interval stays as Cloud Elements has it.
        let moved = try await run(["events", "mail", "--url", "https://new.example.com/b"], environment: harness.environment)
        #expect(moved.status == 0, "stderr: \(moved.stderr)")
        let patch = try #require(harness.cloudElements.patches.current.first)
        #expect(harness.cloudElements.patches.current.count == 1)
        #expect(patch["configuration"]?[EventKeys.callbackURL] == .string("https://new.example.com/b"))
        #expect(patch["configuration"]?[EventKeys.interval] == nil)
        #expect(patch["configuration"]?[EventKeys.enabled] == .bool(true))
        #expect(patch["configuration"]?[EventKeys.pollers]?["changed-messages"] != nil)
        #expect(events(harness, id).callbackURL == "https://new.example.com/b" && events(harness, id).intervalMinutes == 5)
        #expect(moved.stdout.contains("interval: 5 minutes"))
        expectNothingSecret(moved, harness)

        // A new interval keeps the callback; a signature key is sent and never shown.
        var signed = harness.environment
        signed[Settings.Variable.eventsSignatureKey] = "SIGNATUREKEY-77d1e0c4"
        let slower = try await run(["events", "mail", "--poll-interval", "30"], environment: signed)
        #expect(slower.status == 0, "stderr: \(slower.stderr)")
        #expect(events(harness, id).intervalMinutes == 30 && events(harness, id).callbackURL == "https://new.example.com/b")
        #expect(harness.cloudElements.instances.current[id]?.configuration[EventKeys.signatureKey] == .string("SIGNATUREKEY-77d1e0c4"))
        #expect(slower.stdout.contains("signed: yes"))
        #expect(!slower.stdout.contains("SIGNATUREKEY-") && !slower.stderr.contains("SIGNATUREKEY-"))

        // Off keeps the rest.
        let off = try await run(["events", "mail", "--off", "--json"], environment: harness.environment)
        #expect(off.status == 0, "stderr: \(off.stderr)")
        #expect(try JSONValue.parse(Data(off.stdout.utf8))["events"]?["enabled"] == .bool(false))
        #expect(!events(harness, id).enabled && events(harness, id).callbackURL == "https://new.example.com/b")
        #expect(harness.cloudElements.patches.current.last == .object(["configuration": .object([EventKeys.enabled: .bool(false)])]))
        #expect(harness.google.authorizationRequests.current.count == consents, "a consent was asked for")

        // Refused before anything is sent.
        let count = harness.cloudElements.patches.current.count
        #expect(try await run(["events", "mail", "--off", "--url", "https://x.example/"], environment: harness.environment).status == 64)
        #expect(try await run(["events", "mail", "--url", "http://plain.example/"], environment: harness.environment).status == 64)
        #expect(try await run(["events", "mail", "--poll-interval", "0"], environment: harness.environment).status == 64)
        #expect(harness.cloudElements.patches.current.count == count)
    }

    @Test func eventsOfAnInstanceWithoutThemNeedAURL() async throws {
        let harness = try LoginHarness()
        _ = try await loggedIn(harness, name: "plain")
        let refused = try await run(["events", "plain", "--poll-interval", "10"], environment: harness.environment)
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("has no events callback URL yet; give --url URL"), "\(refused.stderr)")
        #expect(harness.cloudElements.patches.current.isEmpty)
        let shown = try await run(["events", "plain"], environment: harness.environment)
        #expect(shown.status == 0 && shown.stdout.contains("events: off") && shown.stdout.contains("callback: none"), "\(shown.stdout)")
    }

    @Test func disableAndEnableGoThroughTheInstanceTokenAndVerifySaysWhatToRun() async throws {
        let harness = try LoginHarness()
        let id = try await loggedIn(harness, name: "mail")
        let dry = try await run(["disable", "mail", "--dry-run"], environment: harness.environment)
        #expect(dry.status == 0 && dry.stdout.contains("DELETE") && dry.stdout.contains("$(ceauth token id:\(id))"), "\(dry.stdout)")
        #expect(harness.cloudElements.calls.current.isEmpty)
        expectNothingSecret(dry, harness)

        let disabled = try await run(["disable", "mail", "--json"], environment: harness.environment)
        #expect(disabled.status == 0, "stderr: \(disabled.stderr)")
        #expect(try JSONValue.parse(Data(disabled.stdout.utf8))["enabled"] == .bool(false))
        #expect(harness.cloudElements.calls.current == ["DELETE /elements/api-v2/instances/enabled"])
        #expect(harness.cloudElements.instances.current[id]?.disabled == true)
        let verify = try await run(["verify", "mail"], environment: harness.environment)
        #expect(verify.status == 10)
        #expect(verify.stderr.contains("is disabled at Cloud Elements; run ceauth enable id:\(id)"), "\(verify.stderr)")

        let enabled = try await run(["enable", "mail"], environment: harness.environment)
        #expect(enabled.status == 0, "stderr: \(enabled.stderr)")
        #expect(harness.cloudElements.instances.current[id]?.disabled == false)
        #expect(try await run(["verify", "mail"], environment: harness.environment).status == 0)
        expectNothingSecret(enabled, harness)

        // A token Cloud Elements no longer knows: refused, saying what to check.
        harness.cloudElements.instances.with { $0[id]?.token = "INSTANCETOKEN-rotated" }
        let refused = try await run(["enable", "mail"], environment: harness.environment)
        #expect(refused.status == 4 && refused.stderr.contains("refuses the instance's token"), "\(refused.stderr)")
    }

    @Test func tagsAreReadThenReplacedWholeOnce() async throws {
        let harness = try LoginHarness()
        let login = try await run(["login", "gmail", "--no-browser", "--name", "mail", "--tag", "a"], environment: harness.environment,
                                  browser: TestBrowser())
        #expect(login.status == 0)
        let read = try await run(["tag", "mail"], environment: harness.environment)
        #expect(read.status == 0 && read.stdout == "a\n", "\(read.stdout)")
        #expect(harness.cloudElements.patches.current.isEmpty)

        let dry = try await run(["tag", "mail", "--add", "b", "--dry-run"], environment: harness.environment)
        #expect(dry.status == 0 && dry.stdout.contains("PATCH"))
        #expect(harness.cloudElements.patches.current.isEmpty)

        let changed = try await run(["tag", "mail", "--add", "b", "--add", "c", "--remove", "a", "--json"], environment: harness.environment)
        #expect(changed.status == 0, "stderr: \(changed.stderr)")
        #expect(try JSONValue.parse(Data(changed.stdout.utf8))["tags"] == .array([.string("b"), .string("c")]))
        #expect(harness.cloudElements.patches.current == [.object(["tags": .array([.string("b"), .string("c")])])])
        expectNothingSecret(changed, harness)

        // Nothing to change: nothing sent.
        let same = try await run(["tag", "mail", "--add", "b"], environment: harness.environment)
        #expect(same.status == 0 && same.stdout == "b\nc\n")
        #expect(harness.cloudElements.patches.current.count == 1)
        #expect(try await run(["tag", "mail", "--add", " "], environment: harness.environment).status == 64)
    }

    /// Instances made in the console: one by id, the rest with --all, an element without a template included.
    @Test func adoptBringsConsoleInstancesIntoTheKeyfile() async throws {
        let harness = try LoginHarness()
        _ = try await loggedIn(harness, name: "mine")
        let echoed: [String: JSONValue] = ["oauth.api.secret": .string(SandboxSecrets.clientSecret),
                                           "oauth.user.token": .string("ya29.console-access"), "oauth.user.refresh_token": .string("1//sandbox-console")]
        harness.cloudElements.instances.with {
            $0[900_001] = .init(token: "INSTANCETOKEN-console-1", element: "gmail", name: "mine", configuration: echoed)
            $0[900_002] = .init(token: "INSTANCETOKEN-console-2", element: "dropbox", name: "files", configuration: echoed)
            $0[900_003] = .init(token: "INSTANCETOKEN-console-3", element: "googlecalendar", name: "cal", configuration: echoed)
        }
        let one = try await run(["adopt", "900001", "--json"], environment: harness.environment)
        #expect(one.status == 0, "stderr: \(one.stderr)")
        let adopted = try JSONValue.parse(Data(one.stdout.utf8))
        // "mine" is taken in the keyfile: the id follows it, so each name finds one instance.
        #expect(adopted["name"] == .string("mine-900001") && adopted["adopted"] == .bool(true))
        let token = try await run(["token", "mine-900001"], environment: harness.environment)
        #expect(token.stdout == "INSTANCETOKEN-console-1\n")
        expectNothingSecret(one, harness)

        let again = try await run(["adopt", "900001"], environment: harness.environment)
        #expect(again.status == 0 && again.stderr.contains("is already in"), "\(again.stderr)")
        #expect(try await run(["adopt", "900003", "--name", "mine"], environment: harness.environment).status == 64)
        #expect(try await run(["adopt", "424242"], environment: harness.environment).status == 11)

        let dry = try await run(["adopt", "--all", "--dry-run"], environment: harness.environment)
        #expect(dry.status == 0 && dry.stderr.contains("Would adopt"), "\(dry.stderr)")
        #expect(harness.keyfileEntries().count == 2)
        let rest = try await run(["adopt", "--all", "--element", "dropbox", "--json"], environment: harness.environment)
        #expect(rest.status == 0, "stderr: \(rest.stderr)")
        #expect(try JSONValue.parse(Data(rest.stdout.utf8)).arrayValue?.compactMap { $0["name"]?.stringValue } == ["files"])
        let all = try await run(["adopt", "--all"], environment: harness.environment)
        #expect(all.status == 0 && all.stderr.contains("Adopted 'cal'"), "\(all.stderr)")
        #expect(harness.keyfileEntries().count == 4)
        expectNothingSecret(all, harness)
        // No template of ceauth's for dropbox: verify pings the hub Cloud Elements names.
        let files = try await run(["verify", "files"], environment: harness.environment)
        #expect(files.status == 0, "stderr: \(files.stderr)")
        #expect(harness.cloudElements.calls.current.contains("GET /elements/api-v2/hubs/documents/ping"))
    }

    @Test func statusShowsEveryInstanceInKeyfileOrder() async throws {
        let harness = try LoginHarness()
        let first = try await loggedIn(harness, name: "works")
        let second = try await loggedIn(harness, element: "googlecalendar", name: "paused")
        harness.cloudElements.instances.with {
            $0[second]?.disabled = true
            $0[first]?.tags = [.string("prod")]
            $0[first]?.configuration[EventKeys.enabled] = .string("true")
            $0[first]?.configuration[EventKeys.callbackURL] = .string("https://hooks.example.com/ce")
            $0[first]?.configuration[EventKeys.interval] = .string("15")
        }
        let json = try await run(["status", "--json"], environment: harness.environment)
        #expect(json.status == 10, "stderr: \(json.stderr)")
        let rows = try #require(try JSONValue.parse(Data(json.stdout.utf8)).arrayValue)
        #expect(rows.map { $0["name"] } == [.string("works"), .string("paused")])
        #expect(rows[0]["works"] == .bool(true) && rows[0]["tags"] == .array([.string("prod")]))
        #expect(rows[0]["events"]?["pollIntervalMinutes"] == .integer(15))
        #expect(rows[1]["works"] == .bool(false) && rows[1]["enabled"] == .bool(false))
        expectNothingSecret(json, harness)
        let text = try await run(["status"], environment: harness.environment)
        #expect(text.stdout.contains("works\t\(first)\tgmail\t127.0.0.1\tyes\tyes\ton every 15 min to hooks.example.com\tprod"), "\(text.stdout)")
        #expect(text.stdout.contains("paused\t\(second)\tgooglecalendar\t127.0.0.1\tno\tno\toff\t-"), "\(text.stdout)")
        #expect(text.stderr.contains("run ceauth enable id:\(second)"))
        let remote = try await run(["list", "--remote", "--json"], environment: harness.environment)
        #expect(try JSONValue.parse(Data(remote.stdout.utf8)).arrayValue?.map { $0["eventsEnabled"] } == [.bool(true), .bool(false)])
    }

    /// Many at once: results in keyfile order, one slow host and one refusing host among good
    /// ones, two requests per instance as before, and each worker's connection used again.
    @Test func verifyAllChecksConcurrentlyInOrder() async throws {
        let harness = try LoginHarness()
        for index in 0..<12 { _ = try await loggedIn(harness, name: "n\(index)") }
        let slow = try LoginHarness()
        var slowEnvironment = slow.environment
        slowEnvironment["HOME"] = harness.environment["HOME"]
        slowEnvironment["XDG_CONFIG_HOME"] = harness.environment["XDG_CONFIG_HOME"]
        let slowLogin = try await run(["login", "gmail", "--no-browser", "--name", "slow"], environment: slowEnvironment, browser: TestBrowser())
        #expect(slowLogin.status == 0, "stderr: \(slowLogin.stderr)")
        let down = try LoginHarness()
        var downEnvironment = down.environment
        downEnvironment["HOME"] = harness.environment["HOME"]
        downEnvironment["XDG_CONFIG_HOME"] = harness.environment["XDG_CONFIG_HOME"]
        #expect(try await run(["login", "gmail", "--no-browser", "--name", "down"], environment: downEnvironment, browser: TestBrowser()).status == 0)
        down.cloudElements.goDown()
        harness.cloudElements.latency.with { $0 = 0.25 }
        slow.cloudElements.latency.with { $0 = 1.5 }
        harness.cloudElements.arrived.with { $0 = [] }
        let before = harness.cloudElements.connections

        let all = try await run(["verify", "--all", "--json"], environment: harness.environment)
        #expect(all.status == 10, "stderr: \(all.stderr)")
        let names = try JSONValue.parse(Data(all.stdout.utf8)).arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == (0..<12).map { "n\($0)" } + ["slow", "down"])
        #expect(all.stderr.contains("not checked: 'down'"), "\(all.stderr)")
        // One after another: 12 x 2 x 0.25 s + 2 x 1.5 s = 9 s. At once: about 2 x 1.5 s.
        #expect(all.seconds < 6, "took \(all.seconds) s")
        #expect(harness.cloudElements.arrived.current.count == 24)
        let opened = harness.cloudElements.connections - before
        #expect(opened <= Defaults.concurrentRequests, "\(opened) connections for 24 requests")
        expectNothingSecret(all, harness)
    }

    /// login's POST goes on the connection its check before the browser opened.
    @Test func loginUsesOneConnectionToCloudElements() async throws {
        let harness = try LoginHarness()
        _ = try await loggedIn(harness, name: "one")
        #expect(harness.cloudElements.elementChecks.current == 1 && harness.cloudElements.postCount == 1)
        #expect(harness.cloudElements.connections == 1)
    }
}
