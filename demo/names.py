"""Name parts for the synthetic resident register. Every name the generator writes is a random
combination of the common parts below; none is taken from a real person.

Foreign names are stored in residence-card order (family name first, upper-case Latin letters):
the register's `name_alpha` is that string. `Part` keeps the katakana reading used for `name_kana`
and, for Vietnamese, the spelling with diacritics (used to simulate an ISA record that carries them).
Pure Python, no Django.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate


class Weighted:
    """Weighted random choice with precomputed cumulative weights (fast: one random() + bisect)."""

    __slots__ = ("_cum", "_items", "_total", "items")

    def __init__(self, items, weights) -> None:
        items = list(items)
        weights = [float(w) for w in weights]
        if len(items) != len(weights) or not items:
            raise ValueError("items and weights must be non-empty and of the same length")
        self.items = tuple(items)
        self._total = sum(weights)
        # The last item is repeated behind a sentinel so that random() * total == total (float
        # rounding) still lands on a valid index.
        self._cum = [*accumulate(weights), self._total * 2]
        self._items = (*items, items[-1])

    def pick(self, rnd):
        return self._items[bisect_right(self._cum, rnd() * self._total)]


@dataclass(frozen=True, slots=True)
class Part:
    alpha: str  # upper-case ASCII, may contain a space (DELA CRUZ, JOHN PAUL)
    kana: str  # katakana reading
    kanji: str = ""  # Chinese/Korean kanji, Japanese 通称 parts
    marked: str = ""  # spelling with diacritics (Vietnamese), "" if the same as alpha


def _table(text: str) -> tuple[list[Part], list[float]]:
    """Lines of `ALPHA|カナ|weight|kanji|marked`; weight defaults to 1, later fields optional."""
    parts, weights = [], []
    for line in text.strip().splitlines():
        fields = [f.strip() for f in line.split("|")]
        fields += [""] * (5 - len(fields))
        alpha, kana, weight, kanji, marked = fields
        parts.append(Part(alpha, kana, kanji, marked if marked and marked != alpha else ""))
        weights.append(float(weight) if weight else 1.0)
    return parts, weights


def _weighted(text: str) -> Weighted:
    return Weighted(*_table(text))


# --- Japanese -----------------------------------------------------------------------------------
# (kanji in `kanji`, reading in `kana`; `alpha` is unused for Japanese nationals.)

JP_SURNAMES = _weighted("""
SATO|サトウ|18|佐藤
SUZUKI|スズキ|17|鈴木
TAKAHASHI|タカハシ|14|高橋
TANAKA|タナカ|13|田中
ITO|イトウ|11|伊藤
WATANABE|ワタナベ|11|渡辺
YAMAMOTO|ヤマモト|11|山本
NAKAMURA|ナカムラ|11|中村
KOBAYASHI|コバヤシ|10|小林
KATO|カトウ|9|加藤
YOSHIDA|ヨシダ|8.5|吉田
YAMADA|ヤマダ|8|山田
SASAKI|ササキ|7|佐々木
YAMAGUCHI|ヤマグチ|6.5|山口
MATSUMOTO|マツモト|6.3|松本
INOUE|イノウエ|6.1|井上
KIMURA|キムラ|5.8|木村
HAYASHI|ハヤシ|5.5|林
SAITO|サイトウ|5.4|斎藤
SHIMIZU|シミズ|5.4|清水
YAMAZAKI|ヤマザキ|4.7|山崎
MORI|モリ|4.6|森
IKEDA|イケダ|4.4|池田
HASHIMOTO|ハシモト|4.4|橋本
ABE|アベ|4.4|阿部
ISHIKAWA|イシカワ|4.2|石川
YAMASHITA|ヤマシタ|4.1|山下
NAKAJIMA|ナカジマ|4|中島
ISHII|イシイ|3.9|石井
OGAWA|オガワ|3.9|小川
MAEDA|マエダ|3.8|前田
OKADA|オカダ|3.8|岡田
HASEGAWA|ハセガワ|3.7|長谷川
FUJITA|フジタ|3.7|藤田
GOTO|ゴトウ|3.6|後藤
KONDO|コンドウ|3.5|近藤
MURAKAMI|ムラカミ|3.4|村上
ENDO|エンドウ|3.2|遠藤
AOKI|アオキ|3.2|青木
SAKAMOTO|サカモト|3.1|坂本
SAITO2|サイトウ|3|斉藤
FUKUDA|フクダ|3|福田
OTA|オオタ|3|太田
NISHIMURA|ニシムラ|2.9|西村
FUJII|フジイ|2.9|藤井
KANEKO|カネコ|2.8|金子
OKAMOTO|オカモト|2.8|岡本
FUJIWARA|フジワラ|2.8|藤原
NAKANO|ナカノ|2.7|中野
MIURA|ミウラ|2.7|三浦
HARADA|ハラダ|2.7|原田
NAKAGAWA|ナカガワ|2.6|中川
MATSUDA|マツダ|2.6|松田
TAKEUCHI|タケウチ|2.6|竹内
ONO|オノ|2.6|小野
TAMURA|タムラ|2.5|田村
NAKAYAMA|ナカヤマ|2.5|中山
WADA|ワダ|2.5|和田
ISHIDA|イシダ|2.4|石田
MORITA|モリタ|2.4|森田
UEDA|ウエダ|2.4|上田
HARA|ハラ|2.3|原
UCHIDA|ウチダ|2.3|内田
SHIBATA|シバタ|2.3|柴田
SAKAI|サカイ|2.3|酒井
MIYAZAKI|ミヤザキ|2.2|宮崎
YOKOYAMA|ヨコヤマ|2.2|横山
TAKAGI|タカギ|2.2|高木
ANDO|アンドウ|2.1|安藤
MIYAMOTO|ミヤモト|2.1|宮本
ONO2|オオノ|2.1|大野
KOJIMA|コジマ|2|小島
TANIGUCHI|タニグチ|2|谷口
KUDO|クドウ|2|工藤
TAKADA|タカダ|2|高田
MASUDA|マスダ|2|増田
MARUYAMA|マルヤマ|1.9|丸山
IMAI|イマイ|1.9|今井
KONO|コウノ|1.9|河野
FUJIMOTO|フジモト|1.9|藤本
MURATA|ムラタ|1.9|村田
TAKEDA|タケダ|1.8|武田
UENO|ウエノ|1.8|上野
SUGIYAMA|スギヤマ|1.8|杉山
CHIBA|チバ|1.8|千葉
HIRANO|ヒラノ|1.7|平野
OTSUKA|オオツカ|1.7|大塚
KUBO|クボ|1.7|久保
MATSUI|マツイ|1.7|松井
NOGUCHI|ノグチ|1.7|野口
SUGAWARA|スガワラ|1.6|菅原
IWASAKI|イワサキ|1.6|岩崎
KINOSHITA|キノシタ|1.6|木下
SANO|サノ|1.6|佐野
NOMURA|ノムラ|1.6|野村
MATSUO|マツオ|1.5|松尾
KIKUCHI|キクチ|1.5|菊地
SUGIMOTO|スギモト|1.5|杉本
ICHIKAWA|イチカワ|1.5|市川
FURUKAWA|フルカワ|1.5|古川
""")

JP_MALE = _weighted("""
SHOTA|ショウタ|1|翔太
DAIKI|ダイキ|1|大輝
REN|レン|1|蓮
YUMA|ユウマ|1|悠真
MINATO|ミナト|1|湊
HARUTO|ハルト|1|陽翔
KENTA|ケンタ|1|健太
TAKUYA|タクヤ|1|拓也
DAISUKE|ダイスケ|1|大輔
MAKOTO|マコト|1|誠
HIROSHI|ヒロシ|1.5|浩
TAKASHI|タカシ|1.5|隆
HIROSHI2|ヒロシ|1.2|博
KIYOSHI|キヨシ|1.2|清
SHIGERU|シゲル|1.2|茂
ISAMU|イサム|1|勇
ICHIRO|イチロウ|1|一郎
KAZUO|カズオ|1.2|和夫
TADASHI|タダシ|1|正
OSAMU|オサム|1|修
TSUYOSHI|ツヨシ|1|剛
NAOKI|ナオキ|1|直樹
RYO|リョウ|1|亮
TATSUYA|タツヤ|1|達也
TSUBASA|ツバサ|1|翼
KENICHI|ケンイチ|1|健一
TETSUYA|テツヤ|1|哲也
YUICHI|ユウイチ|1|雄一
SATOSHI|サトシ|1|聡
HIDEKI|ヒデキ|1|秀樹
KAZUYA|カズヤ|1|和也
KEN|ケン|1|健
MANABU|マナブ|1|学
YUTAKA|ユタカ|1|豊
SUSUMU|ススム|1|進
MINORU|ミノル|1|実
TOMOYA|トモヤ|1|智也
SOTA|ソウタ|1|颯太
ITSUKI|イツキ|1|樹
YUTO|ユウト|1|優斗
RIKU|リク|1|陸
YUTO2|ユウト|1|悠人
KAITO|カイト|1|海斗
WATARU|ワタル|1|航
YAMATO|ヤマト|1|大和
YASUHIRO|ヤスヒロ|1|康弘
SHINYA|シンヤ|1|信也
TORU|トオル|1|徹
HIKARU|ヒカル|1|光
TAKUMI|タクミ|1|匠
""")

JP_FEMALE = _weighted("""
HINA|ヒナ|1|陽菜
YUI|ユイ|1|結衣
AOI|アオイ|1|葵
RIN|リン|1|凛
SAKURA|サクラ|1|さくら
MISAKI|ミサキ|1|美咲
AI|アイ|1|愛
YUMI|ユミ|1.2|由美
KEIKO|ケイコ|1.5|恵子
SACHIKO|サチコ|1.2|幸子
YOKO|ヨウコ|1.2|洋子
KAZUKO|カズコ|1.2|和子
KUMIKO|クミコ|1|久美子
YUKO|ユウコ|1|裕子
NAOMI|ナオミ|1|直美
TOMOKO|トモコ|1|智子
AKEMI|アケミ|1|明美
MAYUMI|マユミ|1|真由美
KAORI|カオリ|1|香織
MAI|マイ|1|麻衣
AYA|アヤ|1|彩
YUKO2|ユウコ|1|優子
MAI2|マイ|1|舞
CHIHIRO|チヒロ|1|千尋
MIHO|ミホ|1|美穂
HARUMI|ハルミ|1|晴美
KYOKO|キョウコ|1|京子
SETSUKO|セツコ|1|節子
YOKO2|ヨウコ|1|陽子
EMI|エミ|1|恵美
MIKA|ミカ|1|美香
YUKI|ユキ|1|由紀
NANA|ナナ|1|奈々
YUINA|ユイナ|1|結菜
MEI|メイ|1|芽依
TSUMUGI|ツムギ|1|紬
ANN|アン|1|杏
RIKO|リコ|1|莉子
MIZUKI|ミヅキ|1|美月
HANA|ハナ|1|花
AYAKA|アヤカ|1|彩花
MARI|マリ|1|真理
NORIKO|ノリコ|1|典子
JUNKO|ジュンコ|1|順子
HIROKO|ヒロコ|1|弘子
ETSUKO|エツコ|1|悦子
TOMOMI|トモミ|1|友美
RIE|リエ|1|理恵
SAORI|サオリ|1|沙織
AIKO|アイコ|1|愛子
""")

# Surnames used in 通称 (registered aliases) of foreign residents, e.g. Korean special permanent
# residents or spouses of Japanese nationals.
ALIAS_SURNAMES = _weighted("""
KANEDA|カネダ|3|金田
ARAI|アライ|3|新井
KANEMOTO|カネモト|2|金本
YASUDA|ヤスダ|2|安田
IWAMOTO|イワモト|2|岩本
KANEYAMA|カネヤマ|2|金山
SATO|サトウ|2|佐藤
TANAKA|タナカ|2|田中
NAKAMURA|ナカムラ|1|中村
KIMURA|キムラ|1|木村
""")


# --- Vietnamese: FAMILY MIDDLE GIVEN -----------------------------------------------------------

VN_FAMILY = _weighted("""
NGUYEN|グエン|38||NGUYỄN
TRAN|チャン|11||TRẦN
LE|レ|9.5||LÊ
PHAM|ファム|7||PHẠM
HOANG|ホアン|5||HOÀNG
HUYNH|フイン|3||HUỲNH
PHAN|ファン|4.5||PHAN
VU|ヴー|3.9||VŨ
DANG|ダン|2.1||ĐẶNG
BUI|ブイ|2||BÙI
DO|ドー|1.4||ĐỖ
HO|ホー|1.3||HỒ
NGO|ゴー|1.3||NGÔ
DUONG|ズオン|1||DƯƠNG
LY|リー|0.5||LÝ
TRINH|チン|0.6||TRỊNH
DINH|ディン|0.6||ĐINH
LAM|ラム|0.4||LÂM
MAI|マイ|0.4||MAI
TRUONG|チュオン|0.6||TRƯƠNG
CAO|カオ|0.4||CAO
DAO|ダオ|0.4||ĐÀO
LUONG|ルオン|0.3||LƯƠNG
TA|ター|0.2||TẠ
""")

VN_MIDDLE_M = _weighted("""
VAN|ヴァン|45||VĂN
DUC|ドゥック|10||ĐỨC
MINH|ミン|10||MINH
QUANG|クアン|7||QUANG
HUU|フー|7||HỮU
CONG|コン|5||CÔNG
XUAN|スアン|4||XUÂN
THANH|タイン|6||THANH
TIEN|ティエン|3||TIẾN
NGOC|ゴック|2||NGỌC
""")

VN_MIDDLE_F = _weighted("""
THI|ティ|60||THỊ
NGOC|ゴック|8||NGỌC
THU|トゥー|6||THU
THANH|タイン|5||THANH
KIM|キム|4||KIM
MINH|ミン|3||MINH
PHUONG|フオン|3||PHƯƠNG
HONG|ホン|4||HỒNG
BICH|ビック|2||BÍCH
""")

VN_GIVEN_M = _weighted("""
AN|アン|1||AN
ANH|アイン|1.5||ANH
BINH|ビン|1||BÌNH
CUONG|クオン|1||CƯỜNG
DUNG|ズン|1||DŨNG
DAT|ダット|1||ĐẠT
DUC|ドゥック|1||ĐỨC
HAI|ハイ|1||HẢI
HIEU|ヒエウ|1||HIẾU
HOANG|ホアン|1||HOÀNG
HUNG|フン|1.2||HÙNG
HUY|フイ|1.2||HUY
KHANH|カイン|1||KHÁNH
KHOA|コア|1||KHOA
LONG|ロン|1.2||LONG
MINH|ミン|1.2||MINH
NAM|ナム|1.2||NAM
PHONG|フォン|1||PHONG
QUAN|クアン|1||QUÂN
SON|ソン|1||SƠN
TAI|タイ|1||TÀI
THANG|タン|1||THẮNG
TRUNG|チュン|1||TRUNG
TUAN|トゥアン|1.5||TUẤN
VINH|ヴィン|1||VINH
VIET|ヴィエット|1||VIỆT
TOAN|トアン|1||TOÀN
THINH|ティン|1||THỊNH
PHUC|フック|1||PHÚC
LOC|ロック|1||LỘC
BAO|バオ|1||BẢO
CHIEN|チエン|1||CHIẾN
DUY|ズイ|1||DUY
HAU|ハウ|1||HẬU
HIEP|ヒエップ|1||HIỆP
HOA|ホア|1||HÒA
KIEN|キエン|1||KIÊN
LUAN|ルアン|1||LUÂN
MANH|マイン|1||MẠNH
NGHIA|ギア|1||NGHĨA
QUY|クイ|1||QUÝ
SANG|サン|1||SANG
THIEN|ティエン|1||THIỆN
TRONG|チョン|1||TRỌNG
TU|トゥー|1||TÚ
KHAI|カイ|1||KHẢI
NHAT|ニャット|1||NHẬT
PHAT|ファット|1||PHÁT
THUAN|トゥアン|1||THUẬN
DONG|ドン|1||ĐÔNG
""")

VN_GIVEN_F = _weighted("""
ANH|アイン|1.5||ANH
CHI|チー|1||CHI
DUNG|ズン|1||DUNG
GIANG|ザン|1||GIANG
HA|ハー|1.2||HÀ
HANG|ハン|1.2||HẰNG
HOA|ホア|1||HOA
HUONG|フオン|1.2||HƯƠNG
HUYEN|フエン|1.2||HUYỀN
LAN|ラン|1||LAN
LINH|リン|1.5||LINH
LOAN|ロアン|1||LOAN
MAI|マイ|1||MAI
MY|ミー|1||MY
NGA|ガー|1||NGA
NGOC|ゴック|1||NGỌC
NHUNG|ニュン|1||NHUNG
OANH|オアイン|1||OANH
PHUONG|フオン|1||PHƯƠNG
QUYNH|クイン|1||QUỲNH
THAO|タオ|1.2||THẢO
THU|トゥー|1||THU
THUY|トゥイ|1.2||THÙY
TRANG|チャン|1.5||TRANG
VY|ヴィー|1||VY
YEN|イエン|1||YẾN
NHI|ニー|1||NHI
TAM|タム|1||TÂM
HIEN|ヒエン|1||HIỀN
DIEP|ジエップ|1||DIỆP
DIEM|ジエム|1||DIỄM
DIU|ジウ|1||DỊU
HAN|ハン|1||HÂN
HOAI|ホアイ|1||HOÀI
KHANH|カイン|1||KHÁNH
LIEN|リエン|1||LIÊN
LY|リー|1||LY
NGAN|ガン|1||NGÂN
NHAN|ニャン|1||NHÀN
NHU|ニュー|1||NHƯ
SUONG|スオン|1||SƯƠNG
TIEN|ティエン|1||TIÊN
TRAM|チャム|1||TRÂM
UYEN|ウエン|1||UYÊN
VAN|ヴァン|1||VÂN
XUAN|スアン|1||XUÂN
THOA|トア|1||THOA
TUYET|トゥエット|1||TUYẾT
HANH|ハイン|1||HẠNH
""")

# --- Chinese: FAMILY GIVEN, with the kanji name --------------------------------------------------

CN_FAMILY = _weighted("""
WANG|ワン|7.2|王
LI|リー|7.1|李
ZHANG|チャン|6.8|張
LIU|リュウ|5.4|劉
CHEN|チェン|4.5|陳
YANG|ヤン|3.1|楊
ZHAO|チャオ|2.3|趙
HUANG|ホアン|2.2|黄
ZHOU|チョウ|2.1|周
WU|ウー|2|呉
XU|シュー|1.4|徐
SUN|スン|1.3|孫
HU|フー|1.1|胡
ZHU|チュー|1.1|朱
GAO|ガオ|1.1|高
LIN|リン|1.1|林
HE|ホー|1|何
GUO|グオ|1|郭
MA|マー|1|馬
LUO|ルオ|0.8|羅
""")

# Given names: one syllable (偉) or two (建華), as pinyin + kanji + rough katakana.
CN_SYLLABLES_M = _weighted("""
WEI|ウェイ|2|偉
JUN|ジュン|1|俊
HAO|ハオ|1|浩
YU|ユー|1|宇
JIE|ジエ|1|傑
LEI|レイ|1|磊
TAO|タオ|1|涛
QIANG|チアン|1|強
PENG|ポン|1|鵬
MING|ミン|1.5|明
JIAN|ジエン|1.5|建
HUA|ホア|1|華
ZHI|ジー|1|志
GUO|グオ|1|国
BO|ボー|1|博
CHENG|チョン|1|成
KAI|カイ|1|凱
XIANG|シアン|1|翔
YONG|ヨン|1|勇
LONG|ロン|1|龍
FENG|フォン|1|峰
HUI|フイ|1|輝
GANG|ガン|1|剛
BIN|ビン|1|斌
HAI|ハイ|1|海
""")

CN_SYLLABLES_F = _weighted("""
NA|ナー|1.5|娜
FANG|ファン|1.5|芳
JING|ジン|1.5|静
XIN|シン|1|欣
MIN|ミン|1|敏
LI|リー|1.5|麗
YAN|イェン|1|燕
LING|リン|1|玲
HUI|フイ|1|慧
XIU|シウ|1|秀
MEI|メイ|1|美
JUAN|ジュエン|1|娟
YING|イン|1|英
QIAN|チエン|1|倩
XUE|シュエ|1|雪
LAN|ラン|1|蘭
TING|ティン|1|婷
YUN|ユン|1|雲
XIAO|シャオ|1|暁
JIA|ジア|1|佳
HONG|ホン|1|紅
YU|ユー|1|雨
WEN|ウェン|1|文
QING|チン|1|青
ZI|ズー|1|子
""")


# --- Korean: FAMILY GIVEN ----------------------------------------------------------------------

KR_FAMILY = _weighted("""
KIM|キム|21|金
LEE|イ|15|李
PARK|パク|8.5|朴
CHOI|チェ|4.7|崔
JUNG|チョン|4.4|鄭
KANG|カン|2.3|姜
CHO|チョ|2.1|趙
YOON|ユン|2.1|尹
JANG|チャン|2|張
LIM|イム|1.7|林
HAN|ハン|1.5|韓
SHIN|シン|1.4|申
OH|オ|1.5|呉
SEO|ソ|1.5|徐
""")

KR_GIVEN_M = _weighted("""
MINJUN|ミンジュン|1|珉俊
JIHOON|ジフン|1|智勲
SEOJUN|ソジュン|1|瑞俊
HYUNWOO|ヒョヌ|1|賢宇
DONGHYUN|ドンヒョン|1|東賢
YOUNGSOO|ヨンス|1|英洙
SUNGMIN|ソンミン|1|成珉
JAEHO|ジェホ|1|在浩
JUNHO|ジュノ|1|俊浩
SANGWOO|サンウ|1|相宇
MINSU|ミンス|1|敏秀
JINWOO|ジヌ|1|振宇
SEUNGHO|スンホ|1|承浩
KYUNGSOO|キョンス|1|京洙
WOOJIN|ウジン|1|宇鎮
YOUNGHO|ヨンホ|1|英浩
""")

KR_GIVEN_F = _weighted("""
SEOYEON|ソヨン|1|瑞妍
JIYOUNG|ジヨン|1|智英
MINJI|ミンジ|1|旻智
EUNJI|ウンジ|1|恩智
SOOJIN|スジン|1|秀珍
HYEJIN|ヘジン|1|恵珍
YUNA|ユナ|1|侑娜
MIKYUNG|ミギョン|1|美京
HYUNJOO|ヒョンジュ|1|賢珠
JIWON|ジウォン|1|智媛
YEJIN|イェジン|1|藝珍
SOYEON|ソヨン|1|素妍
MINKYUNG|ミンギョン|1|旻京
EUNHYE|ウネ|1|恩恵
HAEUN|ハウン|1|夏恩
SUNHEE|ソニ|1|善姫
""")

# --- Filipino: FAMILY GIVEN MIDDLE (middle = mother's maiden family name) -----------------------

PH_FAMILY = _weighted("""
SANTOS|サントス|3
REYES|レイエス|3
CRUZ|クルス|2.5
BAUTISTA|バウティスタ|2
OCAMPO|オカンポ|1
GARCIA|ガルシア|2.5
MENDOZA|メンドーサ|2
TORRES|トーレス|1.5
TOMAS|トマス|1
ANDRES|アンドレス|1
CASTILLO|カスティーヨ|1.2
FLORES|フローレス|1.5
VILLANUEVA|ビリャヌエバ|1.5
RAMOS|ラモス|1.5
DELA CRUZ|デラクルス|2
DE LEON|デレオン|1.2
AQUINO|アキノ|1
NAVARRO|ナバロ|1
SALAZAR|サラサール|1
MERCADO|メルカド|1
GONZALES|ゴンザレス|1.2
LOPEZ|ロペス|1.2
RIVERA|リベラ|1
DIZON|ディゾン|1
PASCUAL|パスクアル|1
""")

PH_GIVEN_M = _weighted("""
JUAN|フアン|1
JOSE|ホセ|1
MARK|マーク|1.2
JOHN PAUL|ジョンポール|1
RICARDO|リカルド|1
ARNEL|アーネル|1
JERICHO|ジェリコ|0.8
ROMMEL|ロンメル|0.8
JOMAR|ジョマール|0.8
MICHAEL|マイケル|1
CHRISTIAN|クリスチャン|1
RONALDO|ロナルド|1
JAYSON|ジェイソン|1
EDGAR|エドガー|1
""")

PH_GIVEN_F = _weighted("""
MARIA|マリア|1.5
MARY JOY|メアリージョイ|1
ANGELICA|アンジェリカ|1
CRISTINA|クリスティーナ|1
JOCELYN|ジョスリン|1
ROWENA|ロウェナ|1
MARIBEL|マリベル|1
KIMBERLY|キンバリー|1
JENNIFER|ジェニファー|1
MARIA CLARA|マリアクララ|0.6
RICHELLE|リシェル|0.8
LORNA|ローナ|0.8
GRACE|グレース|1
JOANNA|ジョアンナ|1
ANALYN|アナリン|0.8
""")

# --- Indonesian: no family name; one, two or three words ---------------------------------------

ID_SINGLE_M = _weighted("""
SUPRIYADI|スプリヤディ
WAHYUDI|ワヒュディ
SUGIANTO|スギアント
MULYADI|ムルヤディ
SUPARMAN|スパルマン
HERIYANTO|ヘリヤント
SUTRISNO|ストリスノ
SUPRIANTO|スプリアント
SUYANTO|スヤント
MARYADI|マルヤディ
SURYADI|スルヤディ
PONIMAN|ポニマン
""")

ID_SINGLE_F = _weighted("""
SRIYANTI|スリヤンティ
SUMARNI|スマルニ
SUGIARTI|スギアルティ
WULANDARI|ウランダリ
RAHAYU|ラハユ
SUPRIHATIN|スプリハティン
SUWARNI|スワルニ
SITIMAH|シティマ
MARYATI|マルヤティ
""")

ID_FIRST_M = _weighted("""
AHMAD|アフマド|1.5
MUHAMMAD|ムハンマド|2
AGUS|アグス|1
BUDI|ブディ|1
EKO|エコ|1
DWI|ドウィ|1
RIZKY|リズキ|1
ARIF|アリフ|1
FAJAR|ファジャル|1
ANDI|アンディ|1
IMAM|イマム|0.7
YUSUF|ユスフ|0.8
HENDRA|ヘンドラ|0.8
DEDI|デディ|0.7
RUDI|ルディ|0.8
JOKO|ジョコ|0.8
ADI|アディ|0.8
BAGUS|バグス|0.7
RIZAL|リザル|0.7
TAUFIK|タウフィック|0.7
GILANG|ギラン|0.7
ILHAM|イルハム|0.7
DIMAS|ディマス|0.7
WAHYU|ワフユ|0.7
""")

ID_SECOND_M = _weighted("""
FAUZI|ファウジ
SETIAWAN|スティアワン
SANTOSO|サントソ
PRASETYO|プラセティオ
SAPUTRA|サプトラ
HIDAYAT|ヒダヤット
NUGROHO|ヌグロホ
KURNIAWAN|クルニアワン
FIRMANSYAH|フィルマンシャ
RAMADHAN|ラマダン
PRATAMA|プラタマ
WIBOWO|ウィボウォ
HARTONO|ハルトノ
SUSANTO|スサント
GUNAWAN|グナワン
SETIADI|セティアディ
MAULANA|マウラナ
SYAHPUTRA|シャプトラ
ADITYA|アディティヤ
PURNOMO|プルノモ
SAFRUDIN|サフルディン
IRAWAN|イラワン
""")

ID_FIRST_F = _weighted("""
DEWI|デウィ|1.5
SITI|シティ|2
NUR|ヌール|1.2
RINA|リナ|1
PUTRI|プトリ|1
SRI|スリ|1.2
AYU|アユ|1
NURUL|ヌルル|1
INDAH|インダ|0.8
FITRI|フィトリ|0.8
YULI|ユリ|0.7
EKA|エカ|0.7
RATNA|ラトナ|0.7
WIDYA|ウィディヤ|0.7
ANISA|アニサ|0.7
MEGA|メガ|0.7
DINA|ディナ|0.7
INTAN|インタン|0.7
SARI|サリ|0.7
""")

ID_SECOND_F = _weighted("""
LESTARI|レスタリ
AMINAH|アミナ
HIDAYAH|ヒダヤ
WULANDARI|ウランダリ
RAHMAWATI|ラフマワティ
PERTIWI|プルティウィ
ANGGRAINI|アングライニ
SAFITRI|サフィトリ
PURNAMASARI|プルナマサリ
NOVITASARI|ノヴィタサリ
RAHAYU|ラハユ
HANDAYANI|ハンダヤニ
SUSANTI|スサンティ
KARTIKA|カルティカ
MAHARANI|マハラニ
FEBRIANTI|フェブリアンティ
OKTAVIANI|オクタフィアニ
UTAMI|ウタミ
YULIANTI|ユリアンティ
""")

# --- Myanmar: no family name; one to four syllable words ----------------------------------------

MM_SYLLABLES_M = _weighted("""
AUNG|アウン|3
KYAW|チョー|3
MOE|モー|1.5
ZAW|ゾー|2
MIN|ミン|2.5
HTUT|トゥッ|1.5
NAY|ネー|1.5
LIN|リン|2
PHYO|ピョー|1.5
WAI|ウェイ|1.5
THU|トゥ|1
YE|イェ|1
YINT|イン|1
HTET|テッ|1.5
KO|コー|1
SOE|ソー|1.5
TUN|トゥン|1.5
NAING|ナイン|1.5
THANT|タン|1
ZIN|ズィン|1
OO|ウー|1
HEIN|ヘイン|1.5
WIN|ウィン|1.5
MYO|ミョー|1.5
""")

MM_SYLLABLES_F = _weighted("""
SU|スー|2.5
HLAING|フライン|2
KHIN|キン|2.5
MAR|マー|1.5
THIN|ティン|2
AYE|エー|2
HNIN|ニン|1.5
MYA|ミャ|1.5
THET|テッ|1
HTAR|ター|1
SWE|スエ|1
NWE|ヌエ|1.5
EI|エイ|1.5
PHYU|ピュー|1.5
MAY|メイ|1.5
ZIN|ズィン|1
MOE|モー|1.5
YU|ユ|1
NANDAR|ナンダー|1
SANDAR|サンダー|1
CHO|チョー|1
WAI|ウェイ|1
""")

# --- Nepali: FAMILY GIVEN [MIDDLE] --------------------------------------------------------------

NP_FAMILY = _weighted("""
GURUNG|グルン|3
SHRESTHA|シュレスタ|3
MAGAR|マガル|2
TAMANG|タマン|2
RAI|ライ|1.5
LIMBU|リンブ|1
THAPA|タパ|2
KC|ケーシー|1
ADHIKARI|アディカリ|1.5
POUDEL|パウデル|1.5
SHARMA|シャルマ|1.5
KHADKA|カドカ|1
BASNET|バスネット|1
BHANDARI|バンダリ|1
KARKI|カルキ|1
GHIMIRE|ギミレ|1
TIWARI|ティワリ|0.8
PANDEY|パンデ|0.8
""")

NP_GIVEN_M = _weighted("""
RAM|ラム|1.5
HARI|ハリ|1.2
KRISHNA|クリシュナ|1
BISHNU|ビシュヌ|1
SURESH|スレス|1
RAJESH|ラジェス|1
DIPAK|ディパク|1
BIKASH|ビカス|1
SANTOSH|サントス|1
PRAKASH|プラカス|1
SUNIL|スニル|1
ANIL|アニル|1
BINOD|ビノド|1
RAMESH|ラメス|1
MAHESH|マヘス|1
NABIN|ナビン|1
SAGAR|サガル|1
ROSHAN|ロサン|1
""")

NP_GIVEN_F = _weighted("""
SITA|シタ|1.5
GITA|ギタ|1
SARITA|サリタ|1
SUNITA|スニタ|1
ANITA|アニタ|1
KABITA|カビタ|1
LAXMI|ラクシュミ|1
PUSPA|プスパ|1
SABINA|サビナ|1
SAMJHANA|サムジャナ|1
BINITA|ビニタ|1
MANISHA|マニシャ|1
PRATIMA|プラティマ|1
RAMITA|ラミタ|1
SUSMITA|ススミタ|1
ASHA|アシャ|1
""")

NP_MIDDLE_M = _weighted("""
BAHADUR|バハドゥル|6
PRASAD|プラサド|3
KUMAR|クマル|2
RAJ|ラジ|1
""")

NP_MIDDLE_F = _weighted("""
KUMARI|クマリ|3
MAYA|マヤ|1
""")

# --- Brazilian: FAMILY GIVEN --------------------------------------------------------------------

BR_FAMILY = _weighted("""
SILVA|シウバ|4
SANTOS|サントス|2.5
OLIVEIRA|オリベイラ|2
SOUZA|ソウザ|2
PEREIRA|ペレイラ|1.5
LIMA|リマ|1.2
FERREIRA|フェヘイラ|1.2
COSTA|コスタ|1.2
RODRIGUES|ロドリゲス|1
ALVES|アウベス|1
NAKAMURA|ナカムラ|1
SATO|サトウ|1
TANAKA|タナカ|0.8
YAMAMOTO|ヤマモト|0.8
HIGA|ヒガ|0.6
""")

BR_GIVEN_M = _weighted("""
JOAO|ジョアン
PEDRO|ペドロ
LUCAS|ルーカス
GABRIEL|ガブリエル
RAFAEL|ハファエル
MATEUS|マテウス
CARLOS|カルロス
PAULO|パウロ
""")

BR_GIVEN_F = _weighted("""
ANA|アナ
MARIA|マリア
JULIANA|ジュリアナ
FERNANDA|フェルナンダ
BEATRIZ|ベアトリス
CAMILA|カミラ
LETICIA|レチシア
PATRICIA|パトリシア
""")

# --- Thai: FAMILY GIVEN -------------------------------------------------------------------------

TH_FAMILY = _weighted("""
SRISUK|シースック
WONGSA|ウォンサー
CHAIYAPORN|チャイヤポーン
SAELIM|セーリム
THONGDEE|トンディー
BOONMA|ブンマー
KAEWKHAM|ケーオカム
PHROMMA|プロムマー
""")

TH_GIVEN_M = _weighted("""
SOMCHAI|ソムチャイ
SOMSAK|ソムサック
ANAN|アナン
PRASERT|プラスート
WICHAI|ウィチャイ
NATTAPONG|ナッタポン
""")

TH_GIVEN_F = _weighted("""
SUDA|スダー
MALAI|マーライ
NARUMON|ナルモン
SIRIPORN|シリポーン
KANYA|カンヤー
PORNTHIP|ポーンティップ
""")

# --- Sri Lankan: FAMILY GIVEN -------------------------------------------------------------------

LK_FAMILY = _weighted("""
PERERA|ペレラ|3
FERNANDO|フェルナンド|2.5
SILVA|シルバ|1.5
DE SILVA|デシルバ|1.5
JAYASINGHE|ジャヤシンハ|1
BANDARA|バンダーラ|1
RATNAYAKE|ラトナヤケ|1
WICKRAMASINGHE|ウィクラマシンハ|1
DISSANAYAKE|ディサナヤケ|1
HERATH|ヘーラト|1
""")

LK_GIVEN_M = _weighted("""
KASUN|カスン
NUWAN|ヌワン
CHAMARA|チャマラ
DILSHAN|ディルシャン
SAMPATH|サンパト
RUWAN|ルワン
""")

LK_GIVEN_F = _weighted("""
NIMALI|ニマリ
CHAMARI|チャマリ
DILANI|ディラニ
SANDYA|サンディヤ
THARUSHI|タルシ
NADEESHA|ナディーシャ
""")

# --- American: FAMILY GIVEN [MIDDLE] ------------------------------------------------------------

US_FAMILY = _weighted("""
SMITH|スミス
JOHNSON|ジョンソン
WILLIAMS|ウィリアムズ
BROWN|ブラウン
JONES|ジョーンズ
MILLER|ミラー
DAVIS|デイビス
WILSON|ウィルソン
ANDERSON|アンダーソン
TAYLOR|テイラー
THOMAS|トーマス
MOORE|ムーア
""")

US_GIVEN_M = _weighted("""
JOHN|ジョン
MICHAEL|マイケル
DAVID|デイビッド
JAMES|ジェームズ
ROBERT|ロバート
CHRISTOPHER|クリストファー
DANIEL|ダニエル
MATTHEW|マシュー
""")

US_GIVEN_F = _weighted("""
MARY|メアリー
JENNIFER|ジェニファー
SARAH|サラ
EMILY|エミリー
JESSICA|ジェシカ
ELIZABETH|エリザベス
LAURA|ローラ
ASHLEY|アシュリー
""")


# --- building foreign names ---------------------------------------------------------------------

FAMILY, MIDDLE, GIVEN = "F", "M", "G"


class ForeignName:
    """A foreign resident's name as words in residence-card order, each with its role (F/M/G).
    A plain slotted class with the joined forms computed once: millions of them are made."""

    __slots__ = ("alpha", "kana", "kanji", "words")

    def __init__(self, words: tuple[tuple[str, Part], ...], kanji: str = "") -> None:
        self.words = words  # ((role, part), ...)
        self.kanji = kanji  # kanji name (Chinese, Korean), "" if none
        self.alpha = " ".join([p.alpha for _, p in words])  # NGUYEN VAN AN
        self.kana = "　".join([p.kana for _, p in words])  # グエン　ヴァン　アン

    def __repr__(self) -> str:
        return f"ForeignName({self.alpha!r})"

    @property
    def has_family(self) -> bool:
        return any(role == FAMILY for role, _ in self.words)

    @property
    def has_middle(self) -> bool:
        return any(role == MIDDLE for role, _ in self.words)

    def given_first(self) -> tuple[tuple[str, Part], ...]:
        return given_first(self.words)

    def without_middle(self) -> tuple[tuple[str, Part], ...]:
        return tuple(w for w in self.words if w[0] != MIDDLE)


def given_first(words: tuple[tuple[str, Part], ...]) -> tuple[tuple[str, Part], ...]:
    """Western order: given (and middle) names first, family name last. For a name without a family
    name the last word moves to the front (what a system that takes the last word for the surname
    produces). Returns `words` itself when there is nothing to swap."""
    if any(role == FAMILY for role, _ in words):
        rest = tuple(w for w in words if w[0] != FAMILY)
        family = tuple(w for w in words if w[0] == FAMILY)
        return rest + family if rest else words
    if len(words) < 2:
        return words
    return (words[-1], *words[:-1])


def _vn(sex: int, rnd) -> ForeignName:
    family = VN_FAMILY.pick(rnd)
    table, given = (VN_MIDDLE_M, VN_GIVEN_M.pick(rnd)) if sex == 1 else (VN_MIDDLE_F, VN_GIVEN_F.pick(rnd))
    middle = table.pick(rnd)
    words = [(FAMILY, family), (MIDDLE, middle)]
    if rnd() < (0.08 if sex == 1 else 0.18):  # NGUYEN THI THU HA, TRAN VAN MINH TUAN
        second = table.pick(rnd)
        if second.alpha not in (middle.alpha, "THI", "VAN"):
            words.append((MIDDLE, second))
    if words[-1][1].alpha == given.alpha:
        words.pop()
    if rnd() < 0.04:  # a few Vietnamese names have no middle name (LE AN)
        words = words[:1]
    words.append((GIVEN, given))
    return ForeignName(tuple(words))


def _cn(sex: int, rnd) -> ForeignName:
    family = CN_FAMILY.pick(rnd)
    table = CN_SYLLABLES_M if sex == 1 else CN_SYLLABLES_F
    given = table.pick(rnd)
    if rnd() < 0.65:  # two-syllable given name, written as one word (XIAOMING)
        second = table.pick(rnd)
        if second.alpha != given.alpha:
            given = Part(given.alpha + second.alpha, given.kana + second.kana, given.kanji + second.kanji)
    return ForeignName(((FAMILY, family), (GIVEN, given)), f"{family.kanji}　{given.kanji}")


def _kr(sex: int, rnd) -> ForeignName:
    family = KR_FAMILY.pick(rnd)
    given = (KR_GIVEN_M if sex == 1 else KR_GIVEN_F).pick(rnd)
    return ForeignName(((FAMILY, family), (GIVEN, given)), f"{family.kanji}　{given.kanji}")


def _ph(sex: int, rnd) -> ForeignName:
    family = PH_FAMILY.pick(rnd)
    given = (PH_GIVEN_M if sex == 1 else PH_GIVEN_F).pick(rnd)
    words = [(FAMILY, family), (GIVEN, given)]
    if rnd() < 0.9:  # middle name = mother's maiden family name
        middle = PH_FAMILY.pick(rnd)
        if middle.alpha != family.alpha:
            words.append((MIDDLE, middle))
    return ForeignName(tuple(words))


def _id(sex: int, rnd) -> ForeignName:
    r = rnd()
    if r < 0.25:
        return ForeignName(((GIVEN, (ID_SINGLE_M if sex == 1 else ID_SINGLE_F).pick(rnd)),))
    first = (ID_FIRST_M if sex == 1 else ID_FIRST_F).pick(rnd)
    second_table = ID_SECOND_M if sex == 1 else ID_SECOND_F
    words = [(GIVEN, first), (GIVEN, second_table.pick(rnd))]
    if r > 0.85:
        third = second_table.pick(rnd)
        if third.alpha != words[1][1].alpha:
            words.append((GIVEN, third))
    return ForeignName(tuple(words))


def _mm(sex: int, rnd) -> ForeignName:
    table = MM_SYLLABLES_M if sex == 1 else MM_SYLLABLES_F
    r = rnd()
    count = 1 if r < 0.04 else 2 if r < 0.4 else 3 if r < 0.92 else 4
    words = []
    for i in range(count):
        part = table.pick(rnd)
        if i == 1 and sex == 2 and rnd() < 0.25:  # SU SU HLAING, MYA MYA
            part = words[0][1]
        words.append((GIVEN, part))
    return ForeignName(tuple(words))


def _np(sex: int, rnd) -> ForeignName:
    family = NP_FAMILY.pick(rnd)
    words = [(FAMILY, family), (GIVEN, (NP_GIVEN_M if sex == 1 else NP_GIVEN_F).pick(rnd))]
    if rnd() < (0.6 if sex == 1 else 0.35):
        words.append((MIDDLE, (NP_MIDDLE_M if sex == 1 else NP_MIDDLE_F).pick(rnd)))
    return ForeignName(tuple(words))


def _simple(family_table: Weighted, male: Weighted, female: Weighted, two_given: float, middle: float):
    def make(sex: int, rnd) -> ForeignName:
        given_table = male if sex == 1 else female
        words = [(FAMILY, family_table.pick(rnd)), (GIVEN, given_table.pick(rnd))]
        if rnd() < two_given:
            second = given_table.pick(rnd)
            if second.alpha != words[1][1].alpha:
                words.append((GIVEN, second))
        elif rnd() < middle:
            second = given_table.pick(rnd)
            if second.alpha != words[1][1].alpha:
                words.append((MIDDLE, second))
        return ForeignName(tuple(words))

    return make


NAME_MAKERS = {
    "VN": _vn,
    "CN": _cn,
    "KR": _kr,
    "PH": _ph,
    "ID": _id,
    "MM": _mm,
    "NP": _np,
    "BR": _simple(BR_FAMILY, BR_GIVEN_M, BR_GIVEN_F, 0.35, 0.0),
    "TH": _simple(TH_FAMILY, TH_GIVEN_M, TH_GIVEN_F, 0.0, 0.0),
    "LK": _simple(LK_FAMILY, LK_GIVEN_M, LK_GIVEN_F, 0.2, 0.0),
    "US": _simple(US_FAMILY, US_GIVEN_M, US_GIVEN_F, 0.0, 0.5),
}


def foreign_name(nationality: str, sex: int, rnd) -> ForeignName:
    return NAME_MAKERS[nationality](sex, rnd)


def japanese_alias(sex: int, rnd, foreign: ForeignName, *, katakana_given: bool) -> str:
    """通称: a Japanese surname plus either a Japanese given name or the katakana given name."""
    surname = (ALIAS_SURNAMES if rnd() < 0.6 else JP_SURNAMES).pick(rnd)
    if katakana_given:
        given = next((p.kana for role, p in foreign.words if role == GIVEN), foreign.words[-1][1].kana)
    else:
        given = (JP_MALE if sex == 1 else JP_FEMALE).pick(rnd).kanji
    return f"{surname.kanji}　{given}"
