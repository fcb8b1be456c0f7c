@testable import SlipwayCore
import Testing

/// Golden values from scipy 1.17.1 (`ks_2samp`'s exact paths and `kstwo.sf`).
@Suite("Kolmogorov-Smirnov p-values")
struct KolmogorovSmirnovTests {
    func close(_ x: Double, _ y: Double, _ relative: Double = 1e-9) -> Bool { abs(x - y) <= relative * abs(y) + 1e-300 }

    @Test("Exact, equal and unequal sizes")
    func exact() {
        for (n, h, p) in [(100, 10, 0.7020569828664881), (100, 25, 0.0037294923618311367), (1000, 60, 0.05462666510701526), (7, 3, 0.5751748251748252)] {
            #expect(close(KolmogorovSmirnov.outsideSquare(n: n, h: h), p), "n=\(n) h=\(h)")
        }
        for (m, n, h, p) in [(1000, 5000, 200, 0.13646698447564157), (300, 7000, 1500, 0.10117096233394594), (999, 1000, 40000, 0.38496892739824556)] {
            #expect(close(KolmogorovSmirnov.outerInside(m: m, n: n, g: KolmogorovSmirnov.gcd(m, n), h: h), p), "m=\(m) n=\(n) h=\(h)")
        }
        #expect(KolmogorovSmirnov.outerInside(m: 40, n: 55, g: 5, h: 560) == 0)
        #expect(close(KolmogorovSmirnov.pValue(statistic: 0.1, n1: 100, n2: 100), 0.7020569828664881))
    }

    @Test("The distribution of D_n on every method's ground (Durbin, Pomeranz, Smirnov, Pelz-Good)")
    func asymptotic() {
        let cases: [(Int, Double, Double)] = [
            (50, 0.05, 0.9990238098461883), (50, 0.1, 0.6623112704658186), (50, 0.2, 0.03143877776953241), (50, 0.35, 5.573523514803185e-06),
            (130, 0.06, 0.7144199300391986), (999, 0.01, 0.999950230864347), (999, 0.03, 0.3232642425949076), (999, 0.045, 0.033920198922785194),
            (999, 0.06, 0.0014389292224442519), (999, 0.2, 1.683419276868769e-35), (999, 0.7, 0), (990, 0.0015, 1), (5000, 0.02, 0.03613941395325637),
        ]
        for (n, d, p) in cases {
            #expect(close(KolmogorovSmirnov.kolmogorovSF(n: n, x: d), p, 1e-8), "n=\(n) d=\(d): \(KolmogorovSmirnov.kolmogorovSF(n: n, x: d)) vs \(p)")
        }
    }
}
