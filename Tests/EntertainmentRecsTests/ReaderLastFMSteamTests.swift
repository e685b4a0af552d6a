@testable import EntertainmentRecs
import Foundation
import Testing

@Suite("Reader: Last.fm 2K and Steam 200K") struct ReaderLastFMSteamTests {
    @Test func readsListensAndArtists() throws {
        let fixture = try ReaderFixture()
        defer { fixture.remove() }
        let listens = try fixture.write("user_artists.dat", "userID\tartistID\tweight\r\n2\t51\t13883\r\n2\t52\t11690\r\n")
        let read = try LastFM2K.readListens(from: listens)
        #expect(read.records == [
            Listen(listener: ListenerID(2), track: TrackID(51), plays: 13883),
            Listen(listener: ListenerID(2), track: TrackID(52), plays: 11690),
        ])
        #expect(read.report.linesRead == 3 && read.report.recordsRead == 2)
        let headerless = try fixture.write("headerless.dat", "3\t7\t1")
        #expect(try LastFM2K.readListens(from: headerless).records == [Listen(listener: ListenerID(3), track: TrackID(7), plays: 1)])
        let negative = try fixture.write("negative.dat", "userID\tartistID\tweight\n2\t51\t-4\n")
        guard case .invalidWeight(_, let value)? = readerError({ _ = try LastFM2K.readListens(from: negative) }) else {
            Issue.record("expected invalidWeight")
            return
        }
        #expect(value == -4)
        let artists = try fixture.write("artists.dat", "id\tname\turl\tpictureURL\n1\tMALICE MIZER\thttp://a\thttp://b\n89\tBeyoncé\thttp://c\t\n")
        #expect(try LastFM2K.readArtists(from: artists).records == [
            CatalogItem(id: TrackID(1), title: "MALICE MIZER"), CatalogItem(id: TrackID(89), title: "Beyoncé"),
        ])
    }

    @Test func ranksArtistTagsByUseAndAttachesThem() throws {
        let fixture = try ReaderFixture()
        defer { fixture.remove() }
        try fixture.write("artists.dat", "id\tname\turl\tpictureURL\n1\tA\tu\tp\n2\tB\tu\tp\n3\tC\tu\tp\n")
        // Without the tag files the catalog has no tags.
        #expect(try LastFM2K.readCatalog(in: fixture.folder).records.allSatisfy(\.tags.isEmpty))
        try fixture.write("tags.dat", bytes: Array("tagID\ttagValue\r\n1\tmetal\r\n2\tchanson fran".utf8) + [0xE7]
            + Array("aise\r\n3\tpop\r\n".utf8))
        try fixture.write("user_taggedartists.dat", """
            userID\tartistID\ttagID\tday\tmonth\tyear
            2\t1\t3\t1\t4\t2009
            4\t1\t1\t1\t4\t2009
            5\t1\t1\t1\t4\t2009
            5\t1\t2\t1\t4\t2009
            2\t2\t2\t1\t4\t2009

            """)
        let catalog = try LastFM2K.readCatalog(in: fixture.folder)
        #expect(catalog.records.map(\.tags) == [["metal", "chanson française", "pop"], ["chanson française"], []])
        #expect(catalog.report.recordsRead == 3 + 3 + 5)
        let tags = try LastFM2K.readArtistTags(tags: fixture.folder.appendingPathComponent("tags.dat"),
                                               assignments: fixture.folder.appendingPathComponent("user_taggedartists.dat"))
        let top = LastFM2K.attachingTags(tags.records, to: catalog.records, limit: 1)
        #expect(top.map(\.tags) == [["metal"], ["chanson française"], []])
        try fixture.write("user_taggedartists.dat", "2\t1\t3\t1\t4\t2009\n2\t1\t9\t1\t4\t2009\n")
        let error = readerError { _ = try LastFM2K.readCatalog(in: fixture.folder) }
        #expect(malformedAt(error)?.line == 2 && malformedAt(error)?.field == "tagID")
    }

    @Test func aggregatesSteamRowsPerPlayerAndTitle() throws {
        let fixture = try ReaderFixture()
        defer { fixture.remove() }
        let url = try fixture.write("steam-200k.csv", #"""
            151603712,"The Elder Scrolls V Skyrim",purchase,1.0,0
            151603712,"The Elder Scrolls V Skyrim",play,273.0,0
            151603712,"Fallout 4",purchase,1.0,0
            151603712,"Fallout 4",play,87.0,0
            151603712,"Fallout 4",play,0.5,0\#r
            5250,"Warhammer 40,000 Dawn of War II",purchase,1.0,0
            5250,"Say ""Cheese""",play,4.9,0
            5250,"Éclair",purchase,1.0,0
            5250,"007 Legends",purchase,1.0,0
            5250,"alpha",play,2,0
            """#)
        let result = try Steam200K.read(from: url)
        let titles = result.records.games.map(\.title)
        #expect(titles == ["007 Legends", "Fallout 4", "Say \"Cheese\"", "The Elder Scrolls V Skyrim",
                           "Warhammer 40,000 Dawn of War II", "alpha", "Éclair"])
        #expect(result.records.games.map(\.id) == (0..<7).map { GameID(Int64($0)) })
        let game = { (title: String) in GameID(Int64(titles.firstIndex(of: title) ?? -1)) }
        #expect(result.records.plays == [
            GamePlay(player: PlayerID(5250), game: game("007 Legends"), hours: 0, purchased: true),
            GamePlay(player: PlayerID(5250), game: game("Say \"Cheese\""), hours: 4.9, purchased: false),
            GamePlay(player: PlayerID(5250), game: game("Warhammer 40,000 Dawn of War II"), hours: 0, purchased: true),
            GamePlay(player: PlayerID(5250), game: game("alpha"), hours: 2, purchased: false),
            GamePlay(player: PlayerID(5250), game: game("Éclair"), hours: 0, purchased: true),
            GamePlay(player: PlayerID(151603712), game: game("Fallout 4"), hours: 87.5, purchased: true),
            GamePlay(player: PlayerID(151603712), game: game("The Elder Scrolls V Skyrim"), hours: 273, purchased: true),
        ])
        #expect(result.report.recordsRead == 10)
    }

    @Test func rejectsMalformedSteamRows() throws {
        let fixture = try ReaderFixture()
        defer { fixture.remove() }
        let good = "1,\"A\",purchase,1.0,0\n"
        let cases: [(String, String)] = [
            ("1,\"A\",rent,1.0,0\n", "behavior"),
            ("1,\"A\",play,1.0\n", "flag"),
            ("1,\"A\",play,1.0,0,9\n", "line"),
            ("x1,\"A\",play,1.0,0\n", "user_id"),
            ("1,\"A, unterminated,play,1.0,0\n", "title"),
            ("1,\"A\",play,lots,0\n", "value"),
        ]
        for (line, field) in cases {
            let url = try fixture.write("steam.csv", good + line)
            #expect(malformedAt(readerError { _ = try Steam200K.read(from: url) })?.field == field, "\(line)")
            let lenient = try Steam200K.read(from: url, options: ReadOptions(onMalformedLine: .skip))
            #expect(lenient.records.plays.count == 1 && lenient.report.skippedLines == 1)
        }
        let nan = try fixture.write("nan.csv", good + "1,\"A\",play,nan,0\n")
        guard case .invalidWeight? = readerError({ _ = try Steam200K.read(from: nan) }) else {
            Issue.record("expected invalidWeight")
            return
        }
    }
}
