<?php

declare(strict_types=1);

/*
 * MechaMap Realtime: the user token (an HS256 JWT) in a few dependency-free lines (PHP >= 8.1).
 *
 * Laravel issues it (the token route) and reads it back (the `realtime` guard that
 * `Broadcast::routes()` runs behind, so the service can ask routes/channels.php on the user's
 * behalf). The service checks the same token with JWT_SECRET. Any HS256 library
 * (firebase/php-jwt, lcobucci/jwt) does the same; this file exists so that nothing else is needed.
 *
 *     $jwt = RealtimeToken::issue(['sub' => '42', 'roles' => ['moderator']], $secret, 3600);
 *     $claims = RealtimeToken::verify($jwt, $secret); // the claims, or null (bad signature, expired, malformed)
 */

namespace MechaMap\Realtime;

final class RealtimeToken
{
    /** @param array<string, mixed> $claims `sub` (the user id) at least; `exp` is set from $ttlSeconds */
    public static function issue(array $claims, string $secret, int $ttlSeconds = 3600): string
    {
        $claims['iat'] = time();
        $claims['exp'] = time() + $ttlSeconds;
        $header = self::encode(['alg' => 'HS256', 'typ' => 'JWT']);
        $payload = self::encode($claims);

        return "{$header}.{$payload}." . self::sign("{$header}.{$payload}", $secret);
    }

    /** @return array<string, mixed>|null the claims of a well-signed, unexpired HS256 token; null otherwise */
    public static function verify(string $jwt, string $secret): ?array
    {
        $parts = explode('.', $jwt);
        if (count($parts) !== 3 || $secret === '') {
            return null;
        }
        [$header, $payload, $signature] = $parts;
        if (!hash_equals(self::sign("{$header}.{$payload}", $secret), $signature)) {
            return null;
        }
        $alg = self::decode($header)['alg'] ?? null;
        $claims = self::decode($payload);
        if ($alg !== 'HS256' || !is_array($claims) || !isset($claims['sub'], $claims['exp']) || !is_numeric($claims['exp'])) {
            return null;
        }

        return $claims['exp'] > time() ? $claims : null;
    }

    private static function sign(string $input, string $secret): string
    {
        return self::base64url(hash_hmac('sha256', $input, $secret, true));
    }

    /** @param array<string, mixed> $value */
    private static function encode(array $value): string
    {
        return self::base64url(json_encode($value, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES));
    }

    private static function decode(string $segment): mixed
    {
        $json = base64_decode(strtr($segment, '-_', '+/'), true);

        return $json === false ? null : json_decode($json, true);
    }

    private static function base64url(string $bytes): string
    {
        return rtrim(strtr(base64_encode($bytes), '+/', '-_'), '=');
    }
}
