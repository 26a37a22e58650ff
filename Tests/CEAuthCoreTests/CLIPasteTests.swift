import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

/// `login --paste`: the address the browser ended on, pasted into ceauth while its listener
/// keeps waiting; exactly the listener's checks; whichever comes first wins.
extension CLITests {
    /// What a person pastes: junk, an address with another state, then the real address.
    static func pasteLines(for url: URL) -> String {
        guard let location = try? RawHTTP.request(url.absoluteString).headers["location"],
              var forged = URLComponents(string: location) else { return "" }
        forged.queryItems = forged.queryItems?.map { $0.name == "state" ? URLQueryItem(name: "state", value: "not-this-sign-in") : $0 }
        return "hello\n" + (forged.string ?? "") + "\n" + location + "\n"
    }

    @Test func pastedFromAPipeAfterAWrongOneTheRightAddressWins() async throws {
        let harness = try LoginHarness()
        let run = try await run(["login", "gmail", "--paste", "--no-browser", "--json"], environment: harness.environment,
                          paste: Self.pasteLines)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("Or paste here the address the browser ended on"))
        #expect(run.stderr.contains("That is not the address; paste the whole address"))
        #expect(run.stderr.contains("is not this sign-in's (the state does not match this sign-in)"))
        #expect(harness.cloudElements.postCount == 1)
        #expect(harness.keyfileEntries().count == 1)
        expectNoSecrets(run, allowToken: "INSTANCETOKEN")
    }

    @Test func pastedAtATerminal() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return }
        let harness = try LoginHarness()
        let run = try await run(["-qefc", "'\(CLITests.binary)' login googlecalendar --paste --no-browser", "/dev/null"],
                          environment: harness.environment, executable: "/usr/bin/script", paste: Self.pasteLines)
        #expect(run.status == 0, "output: \(run.stdout)")
        #expect(run.stdout.contains("is not this sign-in's"))
        #expect(run.stdout.contains("Created googlecalendar instance"))
        #expect(harness.keyfileEntries().count == 1)
    }

    /// The browser's redirect reaches the listener while only a wrong address was pasted.
    @Test func theListenerStillWinsWhilePastesAreWrong() async throws {
        let harness = try LoginHarness()
        let run = try await run(["login", "gmail", "--paste", "--no-browser"], environment: harness.environment, browser: TestBrowser(),
                          paste: { _ in "http://127.0.0.1:1/?code=x&state=wrong\n" })
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(harness.keyfileEntries().count == 1)
        #expect(harness.cloudElements.postCount == 1)
    }

    @Test func aPastedDenialEndsTheWaitLikeARedirect() async throws {
        let harness = try LoginHarness(google: .deny)
        let run = try await run(["login", "gmail", "--paste", "--no-browser"], environment: harness.environment, paste: { url in
            (try? RawHTTP.request(url.absoluteString).headers["location"]).flatMap { $0 }.map { $0 + "\n" } ?? ""
        })
        #expect(run.status == 3, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("consent was denied"))
        #expect(harness.cloudElements.postCount == 0)
    }
}
