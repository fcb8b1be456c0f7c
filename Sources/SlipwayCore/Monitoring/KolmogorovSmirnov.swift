import Foundation

/// The two-sided two-sample Kolmogorov-Smirnov p-value as scipy's `ks_2samp(a, b)` computes it
/// with its defaults (Evidently's KS test): exact lattice-path counts when neither sample has more
/// than 10,000 values, else the distribution of the one-sample statistic `D_N` at
/// `N = round(n·m / (n + m))` (scipy's `kstwo.sf`, after Simard and L'Ecuyer). Written from the
/// algorithms' descriptions (Hodges 1958, Viehmann 2021, Durbin/Marsaglia-Tsang-Wang, Pomeranz,
/// Pelz-Good, Birnbaum-Tingey); the tests hold it to scipy's values.
public enum KolmogorovSmirnov {
    /// The p-value of statistic `d` for samples of `n1` and `n2` values.
    public static func pValue(statistic d: Double, n1: Int, n2: Int) -> Double {
        guard n1 > 0, n2 > 0 else { return .nan }
        if max(n1, n2) <= 10_000, let exact = exactPValue(statistic: d, n1: n1, n2: n2) { return exact }
        let m = Double(max(n1, n2)), n = Double(min(n1, n2))
        return kolmogorovSF(n: Int((m * n / (m + n)).rounded(.toNearestOrEven)), x: d)
    }

    // MARK: - Exact

    /// `nil` when the computation leaves [0, 1] (scipy then falls back to the asymptotic form).
    static func exactPValue(statistic d: Double, n1: Int, n2: Int) -> Double? {
        let g = gcd(n1, n2)
        let lcm = Double(n1 / g) * Double(n2)
        let h = Int((d * lcm).rounded(.toNearestOrEven))
        guard h > 0 else { return 1 }
        let p = n1 == n2 ? outsideSquare(n: n1, h: h) : outerInside(m: n1, n: n2, g: g, h: h)
        guard p.isFinite, p >= 0, p <= 1 else { return nil }
        return p
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    /// Equal sizes: the share of lattice paths that leave the band |x - y| < h, by Horner's scheme
    /// over the alternating sum of binomial ratios.
    static func outsideSquare(n: Int, h: Int) -> Double {
        var p = 0.0
        var k = n / h
        while k >= 0 {
            var term = 1.0
            for j in 0..<h { term = Double(n - k * h - j) * term / Double(n + k * h + j + 1) }
            p = term * (1 - p)
            k -= 1
        }
        return 2 * p
    }

    /// Unequal sizes: one minus the share of paths from (0, 0) to (m, n) that stay strictly inside
    /// |x/m - y/n| < h/lcm, computed column by column on a sliding window of the band.
    static func outerInside(m: Int, n: Int, g: Int, h: Int) -> Double {
        let (m, n) = m < n ? (n, m) : (m, n)
        let mg = Double(m / g), ng = Double(n / g), hd = Double(h)
        var minj = 0
        var maxj = min(Int((hd / mg).rounded(.up)), n + 1)
        var length = maxj - minj
        var a = [Double](repeating: 1, count: min(2 * maxj + 2, n + 1))
        for j in minj..<maxj { a[j] = 0 }
        for i in 1...m {
            let lastMinj = minj, lastLength = length
            minj = min(max(Int(((ng * Double(i) - hd) / mg).rounded(.down)) + 1, 0), n)
            maxj = min(Int(((ng * Double(i) + hd) / mg).rounded(.up)), n + 1)
            if maxj <= minj { return 1 }
            var value = minj == 0 ? 0.0 : 1.0
            let di = Double(i)
            for jj in 0..<(maxj - minj) {
                let j = Double(jj + minj)
                value = (a[jj + minj - lastMinj] * di + value * j) / (di + j)
                a[jj] = value
            }
            length = maxj - minj
            if lastLength > length {
                for index in length..<min(lastLength, a.count) { a[index] = 1 }
            }
        }
        return a[maxj - minj - 1]
    }

    // MARK: - The distribution of D_n

    /// P(D_n ≥ x) for the one-sample two-sided statistic, choosing the method by n and n·x² as scipy does.
    static func kolmogorovSF(n: Int, x: Double) -> Double {
        guard n > 0 else { return .nan }
        if x >= 1 { return 0 }
        if x <= 0 { return 1 }
        let nd = Double(n), t = nd * x
        if t <= 1 {
            if t <= 0.5 { return 1 }
            let cdf = n <= 140
                ? (1...n).reduce(1.0) { $0 * (Double($1) * (1 / nd) * (2 * t - 1)) }
                : exp(logFactorialOverPower(n) + nd * log(2 * t - 1))
            return clip(1 - cdf)
        }
        if t >= nd - 1 { return clip(2 * pow(1 - x, nd)) }
        if x >= 0.5 { return clip(2 * smirnov(n: n, x: x)) }
        let nxSquared = t * x
        if n <= 140 {
            if nxSquared <= 0.754693 { return clip(1 - durbin(n: n, d: x)) }
            if nxSquared <= 4 { return clip(1 - pomeranz(n: n, x: x)) }
            return clip(2 * smirnov(n: n, x: x))
        }
        if nxSquared >= 370 { return 0 }
        if nxSquared >= 2.2 { return clip(2 * smirnov(n: n, x: x)) }
        let cdf = n <= 100_000 && nd * pow(x, 1.5) <= 1.4 ? durbin(n: n, d: x) : pelzGood(n: n, x: x)
        return clip(1 - cdf)
    }

    static func clip(_ p: Double) -> Double { min(max(p, 0), 1) }

    /// log(n! / nⁿ) by Stirling's series, with n·log(n) taken out first.
    static func logFactorialOverPower(_ n: Int) -> Double {
        let coefficients = [-2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3, 8.4175084175084175084e-4,
                            -5.952380952380952381e-4, 7.9365079365079365079e-4, -2.7777777777777777778e-3, 8.3333333333333333333e-2]
        let nd = Double(n), r = 1 / nd, s = r / nd
        let series = coefficients.reduce(0.0) { $0 * s + $1 }
        return log(nd) / 2 - nd + log(2 * Double.pi) / 2 + r * series
    }

    /// P(D⁺_n ≥ x), Smirnov's one-sided statistic, by the Birnbaum-Tingey sum (positive terms, in logs).
    static func smirnov(n: Int, x: Double) -> Double {
        if x >= 1 { return 0 }
        if x <= 0 { return 1 }
        let nd = Double(n)
        let last = Int((nd * (1 - x)).rounded(.down))
        var sum = 0.0
        let logFactorialN: Double = lgamma(nd + 1)
        for j in 0...last {
            let jd = Double(j)
            let rest = 1 - x - jd / nd
            if rest <= 0 && n - j > 0 { continue }
            let logBinomial: Double = logFactorialN - (lgamma(jd + 1) as Double) - (lgamma(nd - jd + 1) as Double)
            let logTerm = logBinomial + (nd - jd) * log(max(rest, .leastNonzeroMagnitude)) + (jd - 1) * log(x + jd / nd)
            sum += exp(logTerm)
        }
        return clip(x * sum)
    }

    /// P(D_n < d) by Durbin's matrix, raised to the n-th power by squaring with rescaling (Marsaglia, Tsang and Wang).
    static func durbin(n: Int, d: Double) -> Double {
        if d >= 1 { return 1 }
        let nd = Double(n) * d
        if nd <= 0.5 { return 0 }
        let k = Int(nd.rounded(.up))
        let h = Double(k) - nd
        let m = 2 * k - 1
        var v = (1...m).map { 1 - pow(h, Double($0)) }
        var w = [Double](repeating: 0, count: m)
        var factorial = 1.0
        for j in 1...m {
            w[j - 1] = factorial
            factorial /= Double(j)
            v[j - 1] *= factorial
        }
        let tt = pow(max(2 * h - 1, 0), Double(m)) - 2 * pow(h, Double(m))
        v[m - 1] = (1 + tt) * factorial
        var matrix = [Double](repeating: 0, count: m * m)
        for i in 1..<m { for r in (i - 1)..<m { matrix[r * m + i] = w[r - (i - 1)] } }
        for r in 0..<m { matrix[r * m] = v[r] }
        for c in 0..<m { matrix[(m - 1) * m + c] = v[m - 1 - c] }

        func multiply(_ a: [Double], _ b: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: m * m)
            for i in 0..<m {
                for l in 0..<m {
                    let x = a[i * m + l]
                    if x == 0 { continue }
                    for j in 0..<m { out[i * m + j] += x * b[l * m + j] }
                }
            }
            return out
        }
        let scale = 0x1p128, unscale = 0x1p-128
        var power = [Double](repeating: 0, count: m * m)
        for i in 0..<m { power[i * m + i] = 1 }
        var remaining = n, exponent = 0, matrixExponent = 0
        while remaining > 0 {
            if remaining % 2 == 1 {
                power = multiply(power, matrix)
                exponent += matrixExponent
            }
            matrix = multiply(matrix, matrix)
            matrixExponent *= 2
            if abs(matrix[(k - 1) * m + k - 1]) > scale {
                for index in matrix.indices { matrix[index] /= scale }
                matrixExponent += 128
            }
            remaining /= 2
        }
        var p = power[(k - 1) * m + k - 1]
        for i in 1...n {
            p = Double(i) * p / Double(n)
            if abs(p) < unscale {
                p *= scale
                exponent -= 128
            }
        }
        return clip(exponent != 0 ? scalbn(p, exponent) : p)
    }

    /// P(D_n ≤ x) by Pomeranz's recursion: rows of Poisson-weighted convolutions over a band.
    static func pomeranz(n: Int, x: Double) -> Double {
        let t = Double(n) * x
        let ll = Int(t.rounded(.down))
        let f = t - Double(ll)
        let g = min(f, 1 - f)
        let ceilF = f > 0 ? 1 : 0, roundF = f > 0.5 ? 1 : 0
        let powers = 2 * (ll + 1)
        var gPower = [Double](repeating: 1, count: powers), twoGPower = gPower, oneMinusTwoGPower = gPower
        let nd = Double(n)
        for p in 1..<powers {
            gPower[p] = gPower[p - 1] * (g / nd) / Double(p)
            twoGPower[p] = twoGPower[p - 1] * (2 * g / nd) / Double(p)
            oneMinusTwoGPower[p] = oneMinusTwoGPower[p - 1] * ((1 - 2 * g) / nd) / Double(p)
        }
        func bounds(_ i: Int) -> (Int, Int) {
            var j1: Int, j2: Int
            if i == 0 {
                j1 = -ll - ceilF - 1
                j2 = ll + ceilF - 1
            } else {
                let half = (i + 1) / 2, odd = (i + 1) % 2
                if odd == 0 {
                    if half == n + 1 {
                        j1 = n - ll - ceilF - 1
                        j2 = n + ll + ceilF - 1
                    } else {
                        j1 = half - 1 - ll - roundF - 1
                        j2 = half + ll - 1 + ceilF - 1
                    }
                } else {
                    j1 = half - 1 - ll - 1
                    j2 = half + ll + roundF - 1
                }
            }
            return (max(j1 + 2, 0), min(j2, n))
        }
        var v0 = [Double](repeating: 0, count: powers), v1 = v0
        v1[0] = 1
        var v0s = 0, v1s = 0, exponent = 0
        var (j1, _) = bounds(0)
        for i in 1..<(2 * n + 2) {
            let k1 = j1
            swap(&v0, &v1)
            swap(&v0s, &v1s)
            for index in v1.indices { v1[index] = 0 }
            let (newJ1, j2) = bounds(i)
            j1 = newJ1
            let weights = i == 1 || i == 2 * n + 1 ? gPower : (i % 2 == 1 ? twoGPower : oneMinusTwoGPower)
            let span = j2 - k1 + 1
            if span > 0 {
                // The entries conv[j1 - k1 ..< j2 - k1 + 1] of the full convolution of the two spans.
                let start = j1 - k1, count = j2 - j1 + 1
                for out in 0..<count {
                    let c = start + out
                    var sum = 0.0
                    for a in max(0, c - (span - 1))...min(c, span - 1) where k1 - v0s + a < v0.count && c - a < weights.count {
                        sum += v0[k1 - v0s + a] * weights[c - a]
                    }
                    v1[out] = sum
                }
                if let largest = v1.max(), largest > 0, largest < 0x1p-128 {
                    for index in v1.indices { v1[index] *= 0x1p128 }
                    exponent -= 128
                }
                v1s = v0s + j1 - k1
            }
        }
        var answer = v1[n - v1s]
        for p in 1...n {
            if abs(answer) > 0x1p128 {
                answer *= 0x1p-128
                exponent += 128
            }
            answer *= Double(p)
        }
        return clip(exponent != 0 ? scalbn(answer, exponent) : answer)
    }

    /// The Pelz-Good asymptotic series for P(D_n ≤ x).
    static func pelzGood(n: Int, x: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let pi2 = Double.pi * Double.pi, pi4 = pi2 * pi2, pi6 = pi4 * pi2
        let z = Double(n).squareRoot() * x
        let z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2
        let qLog = -pi2 / 8 / z2
        if qLog < -708 { return 0 }
        var q = exp(qLog)
        let k1a = -z2, k1b = pi2 / 4
        let k2a = 6 * z6 + 2 * z4, k2b = (2 * z4 - 5 * z2) * pi2 / 4, k2c = pi4 * (1 - 2 * z2) / 16
        let k3d = pi6 * (5 - 30 * z2) / 64, k3c = pi4 * (-60 * z2 + 212 * z4) / 16
        let k3b = pi2 * (135 * z4 - 96 * z6) / 4, k3a = -30 * z6 - 90 * pow(z, 8)
        var k = [0.0, 0.0, 0.0, 0.0]
        let maxK = Int((16 * z / Double.pi).rounded(.up))
        for i in stride(from: maxK, through: 1, by: -1) {
            let m = Double(2 * i - 1), m2 = m * m, m4 = m2 * m2, m6 = m4 * m2
            let qPower = pow(q, Double(8 * i))
            let coefficients = [1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6]
            for c in 0..<4 { k[c] = k[c] * qPower + coefficients[c] }
        }
        let root2pi = (2 * Double.pi).squareRoot()
        let divisors = [z, 6 * z4, 72 * pow(z, 7), 6480 * pow(z, 10)]
        for c in 0..<4 { k[c] = k[c] * q * root2pi / divisors[c] }
        q = exp(-pi2 / 2 / z2)
        let root3z = 3.0.squareRoot() * z
        var extra2 = 0.0, extra3 = 0.0
        for i in stride(from: maxK, through: 1, by: -1) {
            let ks = Double(i), ks2 = ks * ks, kpi = Double.pi * ks
            let qp = pow(q, ks2)
            extra2 += ks2 * qp
            extra3 += (root3z + kpi) * (root3z - kpi) * ks2 * qp
        }
        k[2] += extra2 * pi2 * root2pi / (-36 * z3)
        k[3] += extra3 * pi2 * root2pi / (216 * z6)
        var sum = 0.0
        for c in 0..<4 { sum += k[c] / pow(Double(n), Double(c) / 2) }
        return sum
    }
}
