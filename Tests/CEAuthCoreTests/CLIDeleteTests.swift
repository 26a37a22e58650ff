import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

/// `ceauth delete`: at Cloud Elements, then the keyfile entry; never without a yes.
extension CLITests {
    /// Two instances from real logins; the keyfile text before any delete.
    func twoInstances() async throws -> (harness: LoginHarness, keep: Int64, drop: Int64) {
        let harness = try LoginHarness()
        let keep = try await loggedIn(harness, element: "googlecalendar", name: "keep")
        let drop = try await loggedIn(harness, name: "drop")
        return (harness, keep, drop)
    }

    func keyfileText(_ harness: LoginHarness) -> String {
        String(decoding: FileManager.default.contents(atPath: harness.keyfile) ?? Data(), as: UTF8.self)
    }

    @Test func deleteWithYesDeletesAtCloudElementsAndFromTheKeyfileKeepingTheRest() async throws {
        let (harness, keep, drop) = try await twoInstances()
        let keptEntry = try #require(KeyfileDocument.entries(Data(keyfileText(harness).utf8)).first)
        let run = try await run(["delete", "drop", "--yes", "--json"], environment: harness.environment)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(harness.cloudElements.calls.current == ["DELETE /elements/api-v2/instances/\(drop)"])
        #expect(harness.cloudElements.instances.current[drop] == nil && harness.cloudElements.instances.current[keep] != nil)
        let entries = harness.keyfileEntries()
        #expect(entries == [keptEntry])
        let json = try JSONValue.parse(Data(run.stdout.utf8))
        #expect(json["deletedAtCloudElements"] == .bool(true) && json["removedFromKeyfile"] == .bool(true))
        expectNoSecrets(run)
    }

    @Test func withoutATerminalAndWithoutYesNothingIsSent() async throws {
        let (harness, _, _) = try await twoInstances()
        let before = keyfileText(harness)
        let run = try await run(["delete", "drop"], environment: harness.environment)
        #expect(run.status == 64)
        #expect(run.stderr.contains("there is no terminal to ask on, so nothing was deleted; pass --yes"))
        #expect(harness.cloudElements.calls.current.isEmpty)
        #expect(keyfileText(harness) == before)
    }

    @Test func localOnlyForgetsWithoutCallingAndGoneAtCloudElementsStillLeaves() async throws {
        let (harness, keep, drop) = try await twoInstances()
        let local = try await run(["delete", "drop", "--local-only", "--yes"], environment: [
            "XDG_CONFIG_HOME": harness.environment["XDG_CONFIG_HOME"]!, "HOME": harness.directory.path,
        ])
        #expect(local.status == 0, "stderr: \(local.stderr)")
        #expect(harness.cloudElements.calls.current.isEmpty)
        #expect(harness.cloudElements.instances.current[drop] != nil)
        // Deleted in the console meanwhile: DELETE answers 404, and the entry still goes.
        harness.cloudElements.instances.with { $0[keep] = nil }
        let gone = try await run(["delete", "keep", "--yes"], environment: harness.environment)
        #expect(gone.status == 0, "stderr: \(gone.stderr)")
        #expect(gone.stderr.contains("Cloud Elements no longer had 'keep'"))
        #expect(harness.keyfileEntries().isEmpty)
    }

    @Test func aRefusedOrUnreachableDeleteKeepsTheEntry() async throws {
        let (harness, _, _) = try await twoInstances()
        let before = keyfileText(harness)
        var wrong = harness.environment
        wrong["CEAUTH_ORG_SECRET"] = "ORGSECRET-not-the-right-one"
        let refused = try await run(["delete", "drop", "--yes"], environment: wrong)
        #expect(refused.status == 4)
        #expect(refused.stderr.contains("refused DELETE /instances/"))
        harness.cloudElements.goDown()
        let down = try await run(["delete", "drop", "--yes"], environment: harness.environment)
        #expect(down.status == 5)
        #expect(keyfileText(harness) == before)
        expectNoSecrets(down)
        #expect(!refused.stderr.contains("ORGSECRET-not-the-right-one"))
    }

    /// --dry-run sends nothing and prints secrets as references; its curl command, run with the
    /// same environment, is the same request.
    @Test func dryRunPrintsTheRequestAndACurlCommandThatWorks() async throws {
        let (harness, _, drop) = try await twoInstances()
        let run = try await run(["delete", "drop", "--dry-run"], environment: harness.environment)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(harness.cloudElements.calls.current.isEmpty)
        #expect(run.stdout.hasPrefix("DELETE \(harness.cloudElements.baseURL)/instances/\(drop)\n"))
        #expect(run.stdout.contains("Authorization: User $CEAUTH_USER_SECRET, Organization $CEAUTH_ORG_SECRET"))
        expectNoSecrets(run)
        let curl = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("curl ") })
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else { return }
        let shell = try await self.run(["-c", String(curl) + " -s -o /dev/null -w '%{http_code}'"], environment: harness.environment,
                                 executable: "/bin/sh")
        #expect(shell.stdout == "200")
        #expect(harness.cloudElements.calls.current == ["DELETE /elements/api-v2/instances/\(drop)"])
    }

    /// On a terminal (a real pty, from script(1)), ceauth asks; "y" deletes, anything else does not.
    @Test(arguments: [("y\n", true), ("n\n", false), ("\n", false)])
    func onATerminalItAsks(answer: String, deletes: Bool) async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return }
        let (harness, _, drop) = try await twoInstances()
        let command = "'\(CLITests.binary)' delete drop"
        let run = try await run(["-qec", command, "/dev/null"], environment: harness.environment, executable: "/usr/bin/script",
                          input: answer)
        #expect(run.stdout.contains("Delete 'drop' (id \(drop), gmail, 127.0.0.1) at Cloud Elements and from the keyfile? [y/N]"))
        #expect(run.status == (deletes ? 0 : 1), "output: \(run.stdout)")
        #expect((harness.cloudElements.instances.current[drop] == nil) == deletes)
        #expect(harness.keyfileEntries().count == (deletes ? 1 : 2))
    }
}
