import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

/// `ceauth verify`: does an instance still work, and at its own host.
extension CLITests {
    /// A real login against the fakes; the instance's id.
    func loggedIn(_ harness: LoginHarness, element: String = "gmail", name: String) async throws -> Int64 {
        let run = try await run(["login", element, "--no-browser", "--json", "--name", name], environment: harness.environment,
                          browser: TestBrowser())
        #expect(run.status == 0, "stderr: \(run.stderr)")
        guard case .integer(let id)? = try JSONValue.parse(Data(run.stdout.utf8))["id"] else {
            throw SocketError("no id in \(run.stdout)", code: EINVAL)
        }
        return id
    }

    @Test func aWorkingInstanceExits0AfterGetAndPing() async throws {
        let harness = try LoginHarness()
        let id = try await loggedIn(harness, element: "googlecalendar", name: "cal")
        let run = try await run(["verify", "cal"], environment: harness.environment)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("ok: 'cal' (id \(id), googlecalendar, 127.0.0.1) works"))
        #expect(harness.cloudElements.calls.current == ["GET /elements/api-v2/instances/\(id)", "GET /elements/api-v2/hubs/scheduling/ping"])
        let json = try JSONValue.parse(Data(try await self.run(["verify", "\(id)", "--json"], environment: harness.environment).stdout.utf8))
        #expect(json["works"] == .bool(true) && json["state"] == .string("enabled") && json["ping"] == .bool(true))
        expectNoSecrets(run)
    }

    enum Breakage: String, CaseIterable, Sendable {
        case invalid, disabled, tokenRefused, deleted
    }

    @Test(arguments: Breakage.allCases)
    func aBrokenInstanceSaysWhatToDo(breakage: Breakage) async throws {
        let harness = try LoginHarness()
        let id = try await loggedIn(harness, name: "mail")
        harness.cloudElements.instances.with { instances in
            switch breakage {
            case .invalid: instances[id]?.valid = false
            case .disabled: instances[id]?.disabled = true
            case .tokenRefused: instances[id]?.token = "INSTANCETOKEN-rotated"
            case .deleted: instances[id] = nil
            }
        }
        let run = try await run(["verify", "mail", "--json"], environment: harness.environment)
        let json = try JSONValue.parse(Data(run.stdout.utf8))
        #expect(json["works"] == .bool(false))
        let advice = json["advice"]?.stringValue ?? ""
        switch breakage {
        case .invalid:
            #expect(run.status == 10)
            #expect(advice.contains("invalid") && advice.contains("re-authorize it: ceauth login gmail"))
            #expect(json["ping"] == .null)
        case .disabled:
            #expect(run.status == 10)
            #expect(advice.contains("disabled at Cloud Elements"))
        case .tokenRefused:
            #expect(run.status == 10)
            #expect(json["ping"] == .bool(false) && advice.contains("refuses the token"))
        case .deleted:
            #expect(run.status == 11)
            #expect(json["state"] == .string("gone") && advice.contains("no longer has"))
        }
        expectNoSecrets(run)
    }

    @Test func wrongSecretsAreExit4AndAHostDownIsExit5() async throws {
        let harness = try LoginHarness()
        _ = try await loggedIn(harness, name: "mail")
        var wrong = harness.environment
        wrong["CEAUTH_USER_SECRET"] = "USERSECRET-not-the-right-one"
        let refused = try await run(["verify", "mail"], environment: wrong)
        #expect(refused.status == 4)
        #expect(refused.stderr.contains("(HTTP 401)") && refused.stderr.contains("check CEAUTH_USER_SECRET"))
        #expect(!refused.stderr.contains("USERSECRET-not-the-right-one"))
        harness.cloudElements.goDown()
        let down = try await run(["verify", "mail"], environment: harness.environment)
        #expect(down.status == 5, "stderr: \(down.stderr)")
        expectNoSecrets(down)
    }

    /// Each instance is checked at its own host: the variable pointing elsewhere changes nothing,
    /// so a sandbox instance never sends its token to a real host, or the other way round.
    @Test func anInstanceIsCheckedAtItsOwnHostAndAllReportsEach() async throws {
        let harness = try LoginHarness()
        let other = try LoginHarness()
        let id = try await loggedIn(harness, name: "here")
        var env = other.environment
        env["XDG_CONFIG_HOME"] = harness.environment["XDG_CONFIG_HOME"]
        let run = try await run(["verify", "here"], environment: env)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(other.cloudElements.calls.current.isEmpty)
        #expect(harness.cloudElements.calls.current.count == 2)

        _ = try await loggedIn(harness, element: "googlecalendar", name: "there")
        harness.cloudElements.instances.with { $0[id] = nil }
        let all = try await self.run(["verify", "--all", "--json"], environment: harness.environment)
        #expect(all.status == 10)
        guard case .array(let items) = try JSONValue.parse(Data(all.stdout.utf8)) else { Issue.record("not an array"); return }
        #expect(items.map { $0["works"] } == [.bool(false), .bool(true)])
        #expect(items[0]["state"] == .string("gone"))
        let usage = try await self.run(["verify"], environment: harness.environment)
        #expect(usage.status == 64)
    }
}

/// `login --update`: the same instance, re-authorized, its keyfile entry updated where it stands.
extension CLITests {
    @Test func updateReauthorizesTheSameInstanceAndKeepsItsEntry() async throws {
        let harness = try LoginHarness()
        _ = try await loggedIn(harness, element: "googlecalendar", name: "first")
        let id = try await loggedIn(harness, name: "mail")
        let before = harness.keyfileEntries()
        harness.cloudElements.instances.with { $0[id]?.valid = false }
        #expect(try await run(["verify", "mail"], environment: harness.environment).status == 10)

        let run = try await run(["login", "gmail", "--update", "mail", "--no-browser", "--json"], environment: harness.environment,
                          browser: TestBrowser())
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("Re-authorized gmail instance 'mail' (id \(id)); its entry in"))
        #expect(harness.cloudElements.calls.current.contains("PUT /elements/api-v2/instances/\(id)?reAuthenticate=true"))
        let after = harness.keyfileEntries()
        #expect(after.count == 2)
        #expect(after[0] == before[0])
        #expect(after[1]["id"] == .integer(id) && after[1]["name"] == .string("mail") && after[1]["created"] == before[1]["created"])
        let newToken = try #require(harness.cloudElements.instances.current[id]?.token)
        #expect(after[1]["token"] == .string(newToken) && after[1]["token"] != before[1]["token"])
        #expect(try JSONValue.parse(Data(run.stdout.utf8))["token"] == .string(newToken))
        #expect(try await self.run(["verify", "mail"], environment: harness.environment).status == 0)
        expectNoSecrets(run, allowToken: newToken)
    }

    @Test func updateRefusesBeforeTheBrowserWhatCannotWork() async throws {
        let harness = try LoginHarness()
        _ = try await loggedIn(harness, name: "mail")
        let cases: [([String], Int32, String)] = [
            (["login", "googlecalendar", "--update", "mail"], 64, "is a gmail instance; run ceauth login gmail --update mail"),
            (["login", "gmail", "--update", "nope"], 9, "no instance named or numbered 'nope'"),
            (["login", "gmail", "--update", "mail", "--name", "other"], 64, "--name cannot rename"),
            (["login", "gmail", "--update", "mail", "--env", "eu"], 64, "lives at"),
        ]
        for (arguments, status, saying) in cases {
            let run = try await run(arguments + ["--no-browser"], environment: harness.environment)
            #expect(run.status == status, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(saying), "\(arguments): \(run.stderr)")
            #expect(!run.stderr.contains("/o/oauth2/"), "the URL was printed: \(run.stderr)")
        }
        let dry = try await run(["login", "gmail", "--update", "mail", "--dry-run"], environment: harness.environment)
        #expect(dry.stdout.contains("PUT \(harness.cloudElements.baseURL)/instances/"))
        #expect(dry.stdout.contains("?reAuthenticate=true"))
    }

    @Test func updatingAnInstanceCloudElementsNoLongerHasChangesNothing() async throws {
        let harness = try LoginHarness()
        let id = try await loggedIn(harness, name: "mail")
        let before = String(decoding: FileManager.default.contents(atPath: harness.keyfile) ?? Data(), as: UTF8.self)
        harness.cloudElements.instances.with { $0[id] = nil }
        let run = try await run(["login", "gmail", "--update", "mail", "--no-browser"], environment: harness.environment, browser: TestBrowser())
        #expect(run.status == 4, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("no longer has this instance"))
        #expect(String(decoding: FileManager.default.contents(atPath: harness.keyfile) ?? Data(), as: UTF8.self) == before)
    }
}
