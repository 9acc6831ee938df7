"""Simplified Chinese wording: the same keys and named parameters as ``wording.EN``, for the web app.

The command line stays English, so the ``cli_*`` keys are absent on purpose (a missing key falls back to English).
"""

from __future__ import annotations

ZH: dict[str, str] = {
    # ---- the figures of one upscale
    "figure_model": "模型：{model_id}（{model}）",
    "outcome_saved": "已保存为 {name}（{width}x{height}，{size_mb:.1f} MB）。",
    "figure_device": "运行设备：{device}",
    "figure_time": "耗时：{seconds:.2f} 秒",
    "figure_size": "尺寸：{in_w}x{in_h} -> {out_w}x{out_h}（x{scale:g}）",
    "figure_scores_reference": "对照你的清晰原图：模型 {model}，普通放大 {bicubic}，差值 {gain}",
    "figure_scores_self_check": "清晰度自检（把你的照片缩小后再还原）：模型 {model}，普通放大 {bicubic}，差值 {gain}",
    "figure_colour": "与你的照片的色差：{delta_e:.2f}（低于 2 肉眼很难看出）",
    "scores": "{psnr:.2f} dB / SSIM {ssim:.4f}",
    "scores_exact": "完全一致 / SSIM {ssim:.4f}",
    "gain_db": "{gain:+.2f} dB",
    "gain_none": "无法比较（有一方完全一致）",
    "gain_reference": (
        "对照你的清晰原图：和普通放大（双三次）相比，模型的结果{direction}原图 {amount:.2f} dB（{model_db:.2f} dB 对 {bicubic_db:.2f} dB；"
        "越高越忠实于原图）。"
    ),
    "gain_self_check": (
        "清晰度自检：把你的照片缩小到 1/{scale:g} 再还原。"
        "和普通放大（双三次）相比，模型的结果{direction}原图 {amount:.2f} dB（{model_db:.2f} dB 对 {bicubic_db:.2f} dB）。"
        "这项检查只看清晰度，看不出你照片里的 JPEG 色块、模糊或噪点。"
    ),
    "closer_to": "更接近",
    "further_from": "更偏离",
    "device_gpu": "GPU（{name}）",
    "device_mps": "Apple GPU（MPS）",
    "device_cpu": "CPU（{threads} 个线程）",
    # ---- advice: a better model for this photo
    "auto_chose": "为你选择了{what}，因为{why}。",
    "auto_what_compressed": "适合压缩照片的模型",
    "auto_what_sharp": "x{scale} 清晰模型",
    "auto_what_best": "x{scale} 细节最好的模型",
    "auto_why_clean": "这张照片没有经过 JPEG 压缩",
    "auto_why_cutout": "这是一张没有经过 JPEG 压缩的抠图",
    "auto_why_jpeg_low": "这是一张低质量保存的 JPEG",
    "auto_why_jpeg_medium": "这是一张中等质量保存的 JPEG",
    "auto_why_jpeg_high": "这是一张 JPEG，即使保存质量较高",
    "auto_why_blocks": "这张照片能看出 JPEG 压缩留下的方块",
    "auto_why_gpu": "{why}，而且本机的 GPU 能很快运行它",
    "err_auto_no_model": "“自动”在这里找不到它的任何内置模型。请从列表中选一个模型。",
    "hint_compressed": (
        "这张照片是以 JPEG 保存的，质量约 {quality}：试试“{label}”（{model_id}），它用压缩过的照片训练，会去掉压缩色块，而不是把色块一起放大。"
    ),
    "hint_native_scale": (
        "“{label}”（{model_id}）专为 x{scale:g} 设计：在这个倍数下试试它（比用 x{native} 模型放大后再缩小更快）。"
    ),
    # ---- advice the moment a photo is read, and the verdict after a run
    "upload_compressed": "这是压缩过的 JPEG（质量约 {quality}）：“{label}”会去掉压缩色块，而不是把它们一起放大。",
    "upload_transparent": "透明背景：可以保持原样，也可以把商品放到白底正方形上，方便上架电商平台。",
    "upload_not_white": "背景看起来是白色，但不是纯白；电商平台可能会把它显示成浅灰色。",
    "upload_large": "已经是 {width}x{height}：大多数电商平台最多只要 {side} px，用小倍数就够了。",
    "upload_tiny": "只有 {width}x{height}，是一张缩略图。放大结果会偏模糊；请向供应商要一张更大的原图。",
    "verdict_much_sharper": "比普通放大清晰得多。",
    "verdict_sharper": "比普通放大更清晰。",
    "verdict_same": "和普通放大差不多：这张照片本来就很清晰。",
    "verdict_worse": "比普通放大还差：换个模型试试。",
    "verdict_unchecked": "已完成。没有做质量检查。",
    # ---- warnings about one output (batch report, figures)
    "warn_heavy_jpeg": "JPEG 压缩色块明显（保存质量约 {quality}）：试试适合压缩照片的模型（{model_id}）",
    "warn_heavy_jpeg_left": "JPEG 压缩色块明显（保存质量约 {quality}）：如果结果里还能看到，请向供应商要一张更好的原图",
    "warn_large_enough": "尺寸已经够大：只缩放到合适尺寸，没有放大",
    "warn_transparent_kept": "已保留透明背景：选择 JPEG 即可改成白底",
    "warn_off_white": "背景是浅灰色，不是纯白：请把背景调白，或使用抠好的图（透明 PNG）",
    "warn_not_on_white": (
        "不是白底（能看到货架或场景，或商品在画面边缘被裁掉了）：请使用抠好的图（透明 PNG）；如果是附图，可以换用其他预设"
    ),
    "warn_fill": "商品占画面 {fill:.0%}；{preset} 要求至少 {min_fill:.0%}：请裁剪得更贴近商品",
    "warn_colour_shift": "颜色明显变了（色差 {delta_e:.1f}；低于 2 肉眼很难看出）：请检查一下，或换个模型试试",
    # ---- time
    "estimate": "在这台 {device} 上大约需要 {low:.1f} 到 {high:.1f} 秒。",
    "estimate_under_a_second": "在这台 {device} 上不到一秒。",
    "estimate_unmeasured": "还没测过这台 {device} 的速度；第一次运行前会先测一下。",
    "estimate_instant": "瞬间完成（传统缩放算法）。",
    "estimate_hub": "Hub 模型：第一次使用时会测速度。",
    "estimate_needs_download": "这个模型需要先下载（这台机器必须联网）。",
    "waiting_for_device": "正在排队：另一张照片正在处理中",
    "loading_model": "正在加载模型",
    "progress_starting": "正在开始",
    "ui_upscale_progress": "{percent}%，{words}",
    # ---- A/B
    "ab_use": "这张照片建议用 {side}：{why}。",
    "ab_either": "这张照片用哪个都行：{where}两者差不多，用时也差不多。",
    "ab_why_better": "{where}，它的结果好 {amount:.1f} dB",
    "ab_why_same": "{where}两者差不多",
    "ab_why_compressed": "它专为这类压缩照片而做，能去掉 JPEG 方块，而质量检查看不出这些方块",
    "ab_speed_same": "，用时也差不多",
    "ab_speed_faster": "，而且 {side} 的速度是另一个的 {ratio:.1f} 倍（{fast:.1f} 秒对 {slow:.1f} 秒）",
    "ab_speed_slower": "，不过 {side} 用时是另一个的 {ratio:.1f} 倍（{slow:.1f} 秒对 {fast:.1f} 秒）",
    "ab_where_reference": "对照你的清晰原图",
    "ab_where_self_check": "在清晰度自检中",
    "ab_unchecked": "没有做质量检查，请用眼睛比较：A 用时 {a_seconds:.1f} 秒，B 用时 {b_seconds:.1f} 秒。",
    # ---- errors a request can meet
    "err_scale": "请选择 1 到 16 之间的倍数。",
    "err_output_too_big": "结果会是 {width}x{height}（{megapixels:.0f} MP），上限是 {limit:.0f} MP。请选一个小一点的倍数。",
    "err_reference_size": "参考图是 {ref_w}x{ref_h}，但结果是 {out_w}x{out_h}。请提供与输出尺寸相同的清晰原图。",
    "err_self_check_small": "图片太小，无法在这个倍数下做自检。",
    "err_format": "未知的输出格式“{fmt}”。请从以下选择：{choices}。",
    "err_quality": "质量必须是 1 到 100 之间的整数。",
    "err_no_image": "请先上传一张图片。",
    "err_out_of_memory": "即使分成小块处理，设备内存还是不够。请换一张小一点的图片、调小倍数，或换一个更轻量的模型。",
    "err_span_narrower": "基础模型宽 {width} 个通道；只能加宽，不能缩窄到 {channels}。",
    "too_slow_on_cpu": (
        "在这台 CPU 上需要 {low_minutes:.1f} 到 {high_minutes:.1f} 分钟，超过了允许的 {cap_minutes:.1f} 分钟。"
        "请选小一点的倍数、更快的模型，或在 GPU 上运行。"
    ),
    "err_job_memory": (
        "这项任务大约需要 {need_gb:.1f} GB 内存，而这台服务器给一项任务最多 {limit_gb:.1f} GB。请选小一点的倍数或小一点的图片。"
    ),
    # ---- models
    "err_choose_model": "请选择一个模型。",
    "err_unknown_model": "未知的模型“{ref}”。请从以下选择：{known}；或者填写权重文件路径；或者“owner/repo:file”。",
    "err_unknown_model_app": "未知的模型“{ref}”。请从列表中选一个，或使用 Hub 相关输入框。",
    "err_ref_too_long": "“{start}…”长达 {length:,} 个字符；srdemo 读取的模型名、Hub 仓库 ID、文件名和版本最多 {limit:,} 个字符。",
    "err_not_your_run": "这个训练好的模型不属于你，或已不存在。",
    "err_weights_missing": "找不到“{model_id}”的权重文件。",
    # ---- errors
    "cancelled": "已取消，没有保存任何内容。",
    # ---- images
    "err_file_unreadable": "无法读取“{name}”：{reason}。",
    "err_file_empty": "“{name}”是空文件（0 字节）。请重新上传图片。",
    "err_file_too_big": "“{name}”有 {size_mb:.1f} MB；单个文件最大只能 {limit_mb:.0f} MB。",
    "err_too_many_pixels": (
        "“{name}”是 {width}x{height} 像素（{megapixels:.1f} MP）；输入图片最大 {limit_mp:.0f} MP。它多半已经够大了；"
        "如果不够，请先裁剪或缩小。"
    ),
    "note_animated": "“{name}”是动图（{frames} 帧）；只用了第一帧。",
    "err_decompression_bomb": "“{name}”声明的尺寸大得离谱，已拒绝处理（看起来像解压炸弹）。",
    "err_image_damaged": "“{name}”已损坏或不完整：开头像一张图片，但无法读取。",
    "err_not_an_image": "“{name}”不是 srdemo 能读取的图片。请使用 PNG、JPEG、WebP、AVIF、HEIC、TIFF、BMP 或 GIF。",
    "err_image_unreadable": "“{name}”已损坏或不完整，无法读取（{detail}）。",
    "note_16bit_colour_png": "16 位彩色 PNG 会按 8 位彩色读取（只有 16 位灰度图保留原有位深）。",
    "err_int32_pixels": "“{name}”使用 32 位整数像素，srdemo 不支持。",
    "err_float_pixels": "“{name}”使用浮点像素，srdemo 不支持。",
    "note_cmyk_converted": "“{name}”原为 CMYK；已按其色彩配置文件转换为 sRGB。",
    "note_cmyk_approximate": "“{name}”原为 CMYK，且没有可用的色彩配置文件；颜色是近似转换的。",
    "err_format_too_big": "{format} 每条边不能超过 {max_side} px，而这个结果是 {width}x{height}。请选择其他格式，或调小倍数。",
    # ---- datasets
    "datasets_images_read": "已读取 {count} 张图片",
    "datasets_skipped": "跳过 {count} 个：",
    "datasets_skipped_item": "  {name}：{reason}",
    "err_zip_unreadable": "“{name}”不是可读取的 zip 文件。",
    "err_zip_too_many_files": "“{name}”包含 {count} 个文件；上限是 {limit} 个。",
    "datasets_and_more": "  ……还有 {count} 个",
    "skip_zip_encrypted": "已拒绝：该文件已加密（不读取有密码保护的 zip）",
    "skip_zip_entry_too_big": "已拒绝：解压后有 {size_mb:.0f} MB，超过每个文件允许的 {limit_mb:.0f} MB",
    "skip_zip_bomb": "已拒绝：解压后会膨胀 {ratio} 倍（可能是 zip 炸弹？）",
    "skip_zip_lies": "已拒绝：文件实际比 zip 里标明的大（可能是 zip 炸弹？）",
    "skip_upload_budget": "已拒绝：上传内容解压后总共会超过 {limit_mb:.0f} MB",
    "skip_zip_damaged": "zip 里的这个文件已损坏，或使用了 srdemo 无法读取的方式（校验和错误、不支持的压缩方式）",
    "err_checkpoint_damaged": "“{folder}”中的检查点“{name}”已损坏，无法接着训练。请删除它，重新开始这次训练。",
    "err_token_malformed": (
        "这个访问令牌不对：Hugging Face 的令牌是一串连续的字母和数字（以“hf_”开头）。"
        "请到 huggingface.co/settings/tokens 重新复制。"
    ),
    "err_unexpected_page": "我们这边出了点问题，详情已记录在服务器日志中。请再试一次。",
    "err_train_bound": "训练设置“{name}”必须在 {lo:g} 到 {hi:g} 之间（当前为 {value}）。",
    "err_train_memory": (
        "按这些设置，每个训练步骤大约需要 {need_gb:.1f} GB 内存，而这台机器只有 {free_gb:.1f} GB 可用。请调小批量大小或图块大小。"
    ),
    "err_app_busy": "应用现在很忙：已经有太多批量任务在排队。请过几分钟再试。",
    "err_owner_disk": (
        "这次上传（{incoming_mb:.0f} MB）会让你在这里的空间超过 {limit_mb:.0f} MB 的上限（你已用 {used_mb:.0f} MB）。"
        "请下载并删除较早的结果，或等上传的内容过期。"
    ),
    "err_owner_disk_result": (
        "这个结果（最多 {incoming_mb:.0f} MB）会让你在这里的空间超过 {limit_mb:.0f} MB 的上限（你已用 {used_mb:.0f} MB）。"
        "请下载并删除较早的结果，或等它们过期。"
    ),
    "note_exif_dropped": "未保留 EXIF：{size_kb:.0f} KB 超过了 JPEG 能容纳的上限（64 KB）",
    "note_xmp_dropped": "未保留 XMP 元数据：超过了 JPEG 能容纳的上限（64 KB）",
    "note_renamed_duplicate": "已重命名：还有另一个文件也叫“{name}”",
    "note_output_renamed": "已保存为“{name}”：另一个结果用了相同的名字",
    "batch_unexpected_file": "处理这个文件时出现意外错误，详情见服务器日志。批量任务会继续进行。",
    "batch_unexpected_stop": "批量任务因意外错误提前停止（详情见服务器日志）；已完成的部分都保留了。",
    "skip_outside_archive": "已拒绝：路径指向压缩包之外",
    "skip_not_image": "不是图片文件",
    "skip_not_found": "找不到",
    "skip_too_small": "太小（{width}x{height}；每条边至少需要 {min_side} px）",
    # ---- hub
    "err_repo_id": "“{repo_id}”不是 Hugging Face 仓库 ID。格式应类似“owner/model-name”。",
    "err_hub_ref": "“{ref}”不是 Hub 模型引用。请写成“owner/repo:file.safetensors”（末尾可以加上“@revision”）。",
    "err_hub_filename": "请填写仓库中的权重文件名，例如“model.safetensors”。",
    "err_hub_offline": "模型“{ref}”还没有下载，而这个应用无法连接 Hugging Face Hub。请选择其他模型，或请负责这个应用的人下载它。",
    "err_hub_gated": "{repo_id} 需要申请访问：请先在 huggingface.co 上同意其条款，再提供有读取权限的访问令牌。",
    "err_hub_repo_not_found": "在 Hub 上找不到模型仓库“{repo_id}”。请检查拼写；如果是私有仓库，请提供能读取它的访问令牌。",
    "err_hub_revision": "{repo_id} 没有版本“{revision}”。",
    "err_hub_bad_revision": (
        "“{revision}”不是有效的版本。请填写分支或标签名，例如“main”或“v1.0”（最多 {limit} 个字符，"
        "不能有空格、“..”或 ~^:?* 等字符），或 40 位的提交 ID。"
    ),
    "err_hub_file_not_found": "{repo_id} 中没有文件“{filename}”。请在仓库页面上核对文件名。",
    "err_hub_invalid_repo_id": "“{repo_id}”不是有效的 Hugging Face 仓库 ID。",
    "err_hub_download": "无法下载“{ref}”：{error}。请稍后再试。",
    "err_publish_no_token": "发布需要一个有写入权限的 Hugging Face 访问令牌（或在 Space 上登录）。",
    "err_publish_bad_token": "Hub 不接受这个访问令牌。请检查一下，或新建一个有写入权限的令牌。",
    "err_publish_forbidden": "这个访问令牌无法写入“{repo_id}”（可能是只读的）。请使用有写入权限的令牌。",
    "err_publish_failed": "发布到“{repo_id}”失败（HTTP {status}）。你的模型没有受影响，请再试一次。",
    "err_publish_unreachable": "无法连接 Hub（{error}）。你的模型没有受影响，请稍后再试。",
    # ---- weights
    "err_weights_unreadable": "无法读取权重文件“{name}”：{reason}。",
    "err_weights_damaged_safetensors": "“{name}”看起来是 safetensors 文件，但已损坏（{detail}）。",
    "err_weights_too_big": "“{name}”有 {size_mb:,.0f} MB；srdemo 只读取不超过 {limit_mb:,.0f} MB 的权重文件。",
    "err_weights_header_too_big": (
        "“{name}”仅列出其张量就占了 {size_mb:,.1f} MB；srdemo 最多读取 {limit_mb:,.0f} MB"
        "（大型放大模型也远不到 1 MB），所以没有打开它。"
    ),
    "err_weights_too_many_tensors": "“{name}”含有超过 {limit:,} 个张量；图片放大模型最多只有几千个，所以没有打开它。",
    "err_weights_header_damaged": "“{name}”看起来是 safetensors 文件，但文件头已损坏。",
    "err_weights_tensor_size": (
        "“{name}”已损坏：文件头给张量“{tensor}”（{dtype}，形状 {shape}）分配了 {got:,} 字节，与这个形状的大小不符。"
    ),
    "err_weights_tensor_outside": "“{name}”已损坏：张量“{tensor}”结束于数据的第 {end:,} 字节，但文件只有 {size:,} 字节的数据。",
    "err_weights_tensors_overlap": "“{name}”已损坏：张量“{first}”和“{second}”占用了相同的字节。",
    "err_weights_torchscript": (
        "“{name}”是 TorchScript 程序，不是纯权重。srdemo 不会运行模型文件里的代码；"
        "请改要 .safetensors 或 .pth 格式的 state dict。"
    ),
    "err_weights_refused": (
        "“{name}”已被拒绝：它不是纯权重（可能包含代码，srdemo 从不运行这类代码），或者已损坏。请使用 .safetensors 文件。"
    ),
    "err_weights_not_state_dict": "“{name}”里没有由张量组成的 state dict。",
    "err_weights_unknown_arch": "“{name}”的架构 spandrel 无法识别，所以 srdemo 运行不了它。",
    "err_weights_load_failed": "“{name}”无法作为模型加载（{error_type}：{detail}）。",
    "err_weights_not_upscaler": "“{name}”不是图片放大模型。",
    # ---- jobs
    "job_starting": "正在开始",
    "err_no_identity": "你的会话还没有身份信息；请刷新页面。",
    "err_batch_running": "你已经有一个批量任务在运行。请等它完成，或先取消它。",
    "err_batch_uploads_gone": "这个批量任务无法继续：它上传的文件已被删除。请下载已完成的结果，并在新的批量任务中重新上传其余文件。",
    "err_training_running": "你已经有一个训练在运行。请等它完成，或先取消它。",
    "err_unexpected": "意外错误（{error_type}）；详情见服务器日志。",
    # ---- runs
    "err_train_no_photos": "请上传你的商品照片（多个文件或一个 zip），或使用示例图集。",
    "err_train_too_few_images": (
        "可用图片 {count} 张；至少需要 {min_images} 张，每张的宽和高都至少 {patch} px（几百张更好）。{detail}"
    ),
    "err_training_running_yours": "你已经有一个训练在运行。请先停止它，或等它完成。",
    "err_training_running_other": "这个应用上正在运行别人的训练（一次只能运行一个）。请稍后再试。",
    "training_progress": "第 {step}/{steps} 步",
    "training_progress_left": "第 {step}/{steps} 步，{time_left}",
    "time_left": "大约还剩 {duration}",
    "run_name_default": "我的商品-x{scale}",
    "run_name_examples": "示例商品-x{scale}",
    "err_no_run_to_resume": "没有可以继续的训练。",
    "err_no_trained_model": "那里还没有训练好的模型：请先训练一个（或等当前训练完成或停止）。",
    # ---- presets (their English is in presets.py)
    "preset_custom_label": "自定义",
    "preset_label_amazon_main": "Amazon 主图（2000 px 正方形，纯白底，商品约占画面 85%）",
    "preset_label_shopify": "Shopify 商品图（2048 x 2048 正方形）",
    "preset_label_web_1600": "网店图，最长边 1600 px（不加边）",
    "preset_source_amazon_main": (
        "亚马逊卖家平台帮助《商品图片要求》：主图为纯白背景（RGB 255），商品占画面 85% 以上，最长边至少 1000 px 才能放大查看"
        "（建议 1600 px 以上）"
    ),
    "preset_source_shopify": "Shopify 帮助中心《商品媒体类型和规格》：建议商品图为 2048 x 2048 px 正方形",
    "preset_source_web_1600": "srdemo 的默认设置，适合可放大查看的网页图片",
    "err_custom_size": "自定义尺寸需要填写最长边，或者精确的宽和高。",
    "err_unknown_preset": "未知的预设“{preset_id}”。请从以下选择：{choices}。",
    # ---- batch
    "err_size": "“{size}”不是有效的尺寸。请填写最长边（1600）或 宽x高（1200x900）。",
    "batch_cancelled_before": "批量任务在处理这个文件之前已取消",
    "batch_cancelled_during": "批量任务在处理这个文件时被取消",
    "batch_col_file": "文件",
    "batch_col_result": "结果",
    "batch_col_problem": "问题及处理办法",
    "batch_col_input_size": "处理前尺寸",
    "batch_col_output_size": "处理后尺寸",
    "batch_col_model": "模型",
    "batch_col_model_reason": "为什么用这个模型",
    "batch_col_seconds": "耗时（秒）",
    "batch_col_gain": "比普通放大清晰多少（dB）",
    "batch_col_colour": "色差（低于 2 肉眼很难看出）",
    "batch_result_done": "完成",
    "batch_result_failed": "失败",
    "batch_result_skipped": "已跳过",
    "batch_result_cancelled": "未处理（已取消）",
    "batch_counts": "已完成 {done}/{total}（{failed} 个失败，{warned} 个有警告）",
    "batch_counts_skipped": "已完成 {done}/{total}（{failed} 个失败，{skipped} 个跳过，{warned} 个有警告）",
    "batch_line_counting": "正在开始：清点文件……",
    "batch_line_started": "处理中：{counts} · 已用时 {elapsed}",
    "batch_line_running": "处理中：{counts} · 已用时 {elapsed} · {left}",
    "batch_line_finished": "已完成：{counts} · 共用时 {elapsed}。请在下方下载 zip。",
    "batch_line_cancelled": "已取消：{counts} · 共用时 {elapsed}。已完成的部分在下方的 zip 里。",
    "batch_line_earlier": "之前已完成：{counts}。请在下方下载 zip。",
    "batch_line_interrupted": "共 {total} 个，处理完 {done} 个后中断（应用停止了）：可在下方下载这些结果，或继续处理其余文件。",
    "batch_line_interrupted_expired": (
        "共 {total} 个，处理完 {done} 个后中断（应用停止了）：可在下方下载这些结果。上传的文件已被删除，"
        "其余文件无法继续处理；请在新的批量任务中重新上传。"
    ),
    # ---- what a batch passes on: report.html in its zip, and the comparison picture (srdemo/report.py)
    "report_title": "批量处理结果",
    "report_intro": (
        "每张照片处理前后的对比、应用对结果的评价，以及需要处理时该怎么做。"
        "处理好的文件和本页面在同一个压缩包里，文件夹结构与交来时相同。"
    ),
    "report_attention": "请先查看（{count} 个）",
    "report_attention_separator": "：",
    "report_partial": "这批处理没有做完就停止了（应用被重启）：本页面和压缩包里是已完成的 {done} 个文件，共 {total} 个。",
    "report_before": "处理前",
    "report_after": "处理后（{model}）",
    "report_side": "{side}：{model}",
    "report_slider": "拖动滑块对比处理前后",
    "report_model": "模型：{model}",
    "report_problem": "{result}：{reason}",
    "report_no_reason": "没有记录原因",
    "report_full_stop": "。",
    "report_footer": "由 srdemo 生成。每个文件的数据（耗时、清晰度自检、色差）在本页面旁边的 report.csv 里。",
    "duration_seconds": "{seconds} 秒",
    "duration_minutes": "{minutes} 分 {seconds} 秒",
    "duration_minutes_only": "{minutes} 分钟",
    "duration_hours": "{hours} 小时 {minutes} 分钟",
    # ---- evaluation
    "err_eval_no_images": "在 {folder} 中找不到图片。",
    "err_eval_no_lr": "找不到 {name} 对应的低分辨率（LR）图片 {lr_path}。",
    # ---- degradations
    "err_unknown_degradation": "未知的画质退化类型“{name}”。请从 {choices} 中选择，或用“+”连接多个。",
    # ---- models: what srdemo says about models it did not describe itself
    "model_builtin_source": "srdemo 自带的权重（见其模型卡）",
    "model_file_label": "{file}（本地文件）",
    "model_file_good_for": "你自己的权重文件。",
    "model_file_licence": "以文件作者的说明为准",
    "model_hub_label": "{ref}（Hub）",
    "model_hub_good_for": "你在 Hub 上选的模型。",
    "model_hub_licence": "以其模型卡的说明为准",
    "model_run_label": "你的模型 {run}（在这里训练）",
    "model_run_good_for": "你自己的照片。",
    "model_run_licence": "归你所有",
    "model_run_source": "在本应用中训练",
    # ---- the catalogue's own models (their English is their own label: models.py, weights/*.json)
    "model_label_auto": "自动（推荐）：为每张照片选最合适的内置模型",
    "model_label_x2": "srdemo x2（内置）：清晰且忠实于原图，尺寸放大到 2 倍",
    "model_label_x4": "srdemo x4（内置）：清晰且忠实于原图，适合包装上的文字",
    "model_label_x4_product": "srdemo x4 压缩照片专用（内置）：适合 JPEG 和不够清晰的供应商照片",
    "model_label_x2_best": "最佳画质 x2（DCTLSA，内置）：较慢，细节最精细，尺寸放大到 2 倍",
    "model_label_x4_best": "最佳画质 x4（DCTLSA，内置）：较慢，细节最精细",
    "model_label_lanczos": "Lanczos（传统算法，即时）：平滑，不添加细节",
    "model_label_bicubic": "普通放大（双三次，传统算法，即时）：各项数据都拿它来对比",
    "model_label_realesrgan_x4": "Real-ESRGAN x4（需从 Hub 下载）：补出鲜明的细节，适合旧损或偏模糊的照片",
    "model_label_realesrgan_x2": "Real-ESRGAN x2（需从 Hub 下载）：补出鲜明的细节，尺寸放大到 2 倍",
    "model_label_nomos_span_x2_jpeg": "Nomos SPAN x2 JPEG 照片专用（需从 Hub 下载）：清除压缩色块",
    # ---- training
    "err_precision": "精度必须是“auto”、“bf16”或“fp32”。",
    "err_loss": "损失函数必须是以下之一：{choices}。",
    "err_patch_multiple": "图块大小（{patch}）必须是倍数（{scale}）的整数倍。",
    "err_steps_batch": "步数和批量大小都至少为 1。",
    "err_checkpoint_other_run": "{folder} 里是另一次训练；请选择新的输出文件夹，或使用相同的设置。",
    "err_init_resampler": "“{init}”是传统缩放算法；请选择一个神经网络模型来微调。",
    "err_init_fixed_architecture": (
        "“{init}”是 x{scale} 的 {architecture} 模型；"
        "微调时只有 SPAN 模型能改变倍数或宽度（请保持 --scale {scale}，不要加 --channels）。"
    ),
    "err_scratch_architecture": "从零开始时 srdemo 训练的是“span”；要训练“{arch}”，请用 --init 提供权重。",
    "err_batch_world": "批量大小（{batch}）必须能被 {world} 个进程平均分配。",
    "warn_bf16_emulated": (
        "这台 CPU 不支持原生 bfloat16（AVX512-BF16 或 AMX），所以 bf16 训练是模拟运行的，在这里比 float32 慢约十倍：请使用 --precision fp32。"
    ),
    "err_no_training_images": "没有找到可用的训练图片。{detail}",
    "err_too_few_training_images": "留出 {val} 张用于验证后，只剩 {train} 张训练图片；至少需要 {need} 张（几百张更好）。",
    # ---- ui: the page
    "ui_page_title": "srdemo - 让商品照片更清晰",
    "ui_page_intro": (
        "## srdemo - 让商品照片更清晰\n"
        "放入一张偏小或不够清晰的商品照片，选好放大倍数和模型，然后对比效果。"
    ),
    "ui_page_limits": (
        "限制：输入最大 {input_mp:.0f} MP，输出最大 {output_mp:.0f} MP，每个文件最大 {file_mb:.0f} MB。"
        "质量数据是怎么算的：见结果下方的*详细说明*。"
    ),
    # ---- ui: what the tabs share
    "ui_common_needs_download": "{label} [需下载]",
    "ui_common_model": "模型",
    "ui_common_scale": "倍数",
    "ui_common_quality": "{formats} 质量",
    "ui_common_status": "状态",
    "ui_common_failed": "失败：{error}",
    # ---- ui: the Upscale tab
    "ui_upscale_tab": "放大",
    "ui_upscale_file_info": "{name}：{width}x{height}，{mode}",
    "ui_upscale_cancelling": "正在取消：当前这部分处理完就停止……",
    "ui_upscale_photo": "商品照片（PNG、JPEG、WebP、HEIC、TIFF……）",
    "ui_upscale_use_compressed": "使用适合压缩照片的模型",
    "ui_upscale_pad_white": "放到白底正方形上",
    "ui_upscale_white_square": "白底正方形背景",
    "ui_upscale_white_square_info": "透明部分会变成纯白，图片居中放在正方形上，符合电商平台的要求。",
    "ui_upscale_more": "更多选项（文件类型、你自己的原图、Hub 模型）",
    "ui_upscale_details": "详细说明：各项数据及其含义",
    "ui_upscale_glossary": (
        "- **普通放大**（双三次）：把照片直接拉大，任何修图软件都能做到；各项数据都是拿模型和它比较。\n"
        "- **清晰度自检**：把你的照片缩小，再分别用模型和普通放大还原，然后都和你的照片比较。\n"
        "- **dB**（PSNR）：还原的照片和原图有多接近；越高越接近，+1 dB 就能看出差别。\n"
        "- **SSIM**：形状和边缘有多相似，范围是 0 到 1；越高越好。\n"
        "- **色差**（CIEDE2000）：颜色变了多少；低于 2 肉眼很难看出。"
    ),
    "ui_upscale_download_below": "请在下方下载。",
    "ui_upscale_cancelled": "已在 {seconds:.0f} 秒后取消。没有保存任何内容；之前的结果（如果有）保持不变。",
    "ui_common_not_done": "未完成：{reason}",
    "ui_popup_title": "未完成",
    "ui_upscale_nothing_to_cancel": "当前没有正在运行的任务。",
    "ui_gradio_complete": "完成",
    "ui_upscale_scale": "放大几倍（x）",
    "ui_upscale_hub": "使用 Hugging Face Hub 上的模型",
    "ui_upscale_repo": "仓库 ID（owner/name）",
    "ui_upscale_repo_placeholder": "例如 ai-forever/Real-ESRGAN",
    "ui_upscale_filename": "仓库中的权重文件",
    "ui_upscale_filename_placeholder": "例如 RealESRGAN_x4.pth",
    "ui_upscale_revision": "版本（可选）",
    "ui_upscale_revision_placeholder": "main",
    "ui_upscale_token": "访问令牌，仅私有仓库需要（只用于这次下载，不会保存）",
    "ui_upscale_sign_in": "或用 Hugging Face 登录（使用你自己的访问权限）",
    "ui_upscale_reference": "可选：与输出尺寸相同的清晰原图，用来评分",
    "ui_upscale_format": "下载格式",
    "ui_upscale_run": "放大",
    "ui_upscale_cancel": "取消",
    "ui_upscale_slider": "放大前（普通放大，左）/ 放大后（模型，右）",
    "ui_upscale_download": "下载全尺寸结果",
    "ui_upscale_share": "用于分享的对比图",
    "ui_upscale_figures": "各项数据",
    "ui_upscale_examples": "示例（点击选用）",
    # ---- ui: the Batch tab
    "ui_batch_tab": "批量",
    "ui_batch_upload_first": "请先上传图片或 zip。",
    "ui_batch_none": "还没有批量任务。",
    "ui_batch_queued": "排队中：前面还有 {ahead} 个批量任务，轮到时会自动开始。",
    "ui_batch_cancelled_waiting": "还没开始就已取消。",
    "ui_batch_cancelling": "当前文件处理完后取消……",
    "ui_batch_not_running": "没有正在运行的批量任务。",
    "ui_batch_nothing_to_resume": "没有中断的批量任务可以继续。",
    "ui_batch_intro": (
        "一次放大整批图片：多张图片或一个 zip（保留子文件夹）。结果是一个文件夹结构相同的 zip，附带 `report.csv`。"
        "关闭或刷新页面后，任务仍会继续运行。"
    ),
    "ui_batch_files": "图片或 zip",
    "ui_batch_no_preset": "不用预设：只按下面的倍数放大",
    "ui_batch_custom": "自定义尺寸",
    "ui_batch_preset": "电商平台预设",
    "ui_batch_custom_size": "自定义尺寸：最长边（1600）或 宽x高（1200x900）",
    "ui_batch_square": "用白底补成正方形",
    "ui_batch_scale": "放大几倍（x，不用预设时）",
    "ui_batch_preset_default": "预设默认值",
    "ui_batch_format": "格式",
    "ui_batch_keep_metadata": "在文件中保留隐私信息（拍摄地点、序列号、所有者姓名）",
    "ui_batch_keep_metadata_info": "拍摄地点、相机序列号和所有者姓名，不勾选就不会保留在文件中。",
    "ui_batch_mark_ai": "给文件标注“经 AI 编辑”（有些电商平台要求这样做）",
    "ui_batch_mark_ai_info": "在每个文件中写入标准的“由 AI 制作”标记，电商平台会在那里读取。",
    "ui_batch_run": "开始批量处理",
    "ui_batch_cancel": "取消批量任务",
    "ui_batch_resume": "继续中断的批量任务",
    "ui_batch_zip": "结果（zip）",
    "ui_batch_pictures": "结果（点击图片与原图对比）",
    "ui_batch_compare": "处理前后对比",
    "ui_batch_problems": "问题及处理办法",
    "batch_caption": "{file}：{verdict}",
    "batch_problem_line": "{file}：{problem}",
    "ui_batch_presets": "预设：{presets}",
    "ui_batch_preset_source": "**{label}**，来源：{source}（核对于 {checked}）",
    # ---- ui: the Train tab
    "ui_train_tab": "训练",
    "ui_train_zero_gpu": (
        "ZeroGPU Space 上不提供训练：它的 GPU 每次请求只借用几秒钟，而一次训练要占用几分钟到几小时。"
        "请把这个 Space 复制到专用 GPU 硬件上，或者用命令行（`srdemo train`）训练，再把结果加载到这里。"
    ),
    "ui_train_input_clean": "干净（清晰原图）",
    "ui_train_input_supplier": "供应商照片（模糊、噪点、JPEG）",
    "ui_train_input_catalogue": "商品目录导出图（缩放后存为 JPEG）",
    "ui_train_input_mix": "三种混合（和内置的压缩照片 x4 模型一样）",
    "ui_train_sign_in_first": "在这个共享 Space 上训练，请先用 Hugging Face 登录：你的训练和模型只属于你自己。",
    "ui_train_stopped_earlier": "之前已停止；点击“继续”接着训练。",
    "ui_train_done": "已完成。",
    "ui_train_running": "训练中：{progress}",
    "ui_train_preparing": "准备中（检查照片、给基础模型评分）……",
    "ui_train_stopped": "已停止。目前最好的权重已保存；点击“继续”接着训练。",
    "ui_train_time_limit": "已达到本应用单次训练的时间上限，训练已停止。目前最好的权重已保存；点击“继续”接着训练。",
    "ui_train_finished": "已完成。你的模型已出现在“放大”页的模型列表中，可以下载或发布。",
    "ui_train_figure_now_vs_plain": "你现在的模型：在你留出的照片上比普通放大 {gain:+.1f} dB（{psnr:.1f} dB；目前最好 {best:.1f} dB；越高越好）",
    "ui_train_series_model": "你的模型",
    "ui_train_series_bicubic": "普通放大",
    "ui_train_series_title": "在你留出的照片上",
    "ui_train_kept": "已保留“{name}”：第 {step} 步的最好权重（在你留出的照片上 {psnr:.1f} dB）。",
    "ui_train_kept_unscored": "已保留“{name}”：最新的权重。",
    "ui_train_kept_finished": "它现在已在“放大”页的模型列表中。",
    "ui_train_kept_stopped": "它现在已在“放大”页的模型列表中；点击“继续”可以接着训练。",
    "ui_train_kept_nothing": "在保存第一份权重之前就停止了：没有保留任何内容。点击“继续”接着训练。",
    "ui_train_none": "还没有训练记录。",
    "ui_train_figure_bicubic": "普通放大：{psnr:.1f} dB",
    "ui_train_figure_base": "训练前的起始模型：{psnr:.1f} dB",
    "ui_train_figure_now": "你现在的模型：在你留出的照片上 {psnr:.1f} dB（目前最好 {best:.1f} dB；越高越好）",
    "ui_train_storage_note": "{status} 注意：这台机器的存储是临时的；请下载你的模型，以免丢失。",
    "ui_train_stopping": "这一步完成后停止；目前最好的权重会保留。",
    "ui_train_not_running": "没有正在运行的训练。",
    "ui_train_started": "已开始训练“{name}”：下方状态会跟进进度；可以关闭此页，稍后回来查看。",
    "ui_train_nothing_to_publish": "请先训练一个模型（或等当前训练完成或停止）。",
    "ui_train_published": "已发布：{url}（在“放大”页填写仓库“{repo_id}”和文件“model.safetensors”即可重新加载）",
    "ui_train_intro": (
        "让模型学会你自己的包装、字体和背景。上传清晰的商品照片（最好几百张），选择起始模型和训练时长，然后开始。"
        "训练在后台运行：你可以关闭或刷新页面。"
    ),
    "ui_train_intro_storage_temporary": "**这台机器的存储是临时的**：训练完成后请下载你的模型。",
    "ui_train_files": "清晰的商品照片（多个文件或一个 zip）",
    "ui_train_examples": "改用示例图集（48 张渲染的商品照片）",
    "ui_train_scratch": "从零开始（SPAN）",
    "ui_train_base": "起始模型",
    "ui_train_inputs": "输入照片是什么样的",
    "ui_train_length_quick": "快速（{steps} 步）",
    "ui_train_length_standard": "标准（{steps} 步）",
    "ui_train_length_long": "长时间（{steps} 步）",
    "ui_train_length": "训练时长",
    "ui_train_advanced": "高级",
    "ui_train_lr": "学习率",
    "ui_train_batch": "批量大小",
    "ui_train_patch": "图块大小（px）",
    "ui_train_seed": "随机种子",
    "ui_train_name": "模型名称",
    "ui_train_name_info": "显示在模型列表中，也用作它的文件名。留空则使用灰色的建议名称。",
    "ui_train_start": "开始训练",
    "ui_train_stop": "停止",
    "ui_train_resume": "继续",
    "ui_train_figures": "在你留出的照片上的质量",
    "ui_train_loss_plot": "训练误差（越低越好）",
    "ui_train_psnr_plot": "在你留出的照片上的质量（越高越好）",
    "ui_train_step_axis": "步数",
    "ui_train_loss_axis": "误差",
    "ui_train_psnr_axis": "dB",
    "ui_train_preview": "验证图片：普通放大（左）/ 你的模型（右）",
    "ui_train_zip": "你的模型（zip：model.safetensors、config.json、README.md）",
    "ui_train_publish_section": "发布到 Hugging Face Hub",
    "ui_train_repo": "仓库 ID（you/your-model）",
    "ui_train_repo_info": "留空则用灰色的建议名称，发布到你自己的账号下。",
    "ui_train_private": "私有",
    "ui_train_token": "有写入权限的访问令牌（只用于这次上传，不会保存）",
    "ui_train_sign_in": "或用 Hugging Face 登录",
    "ui_train_publish": "发布",
    "ui_train_result": "结果",
    # ---- ui: the Compare A/B tab
    "ui_ab_tab": "A/B 对比",
    "ui_ab_zoom_first": "请先运行对比，再点击照片。",
    "ui_ab_intro": "用两个模型处理同一张照片。点击照片上的某个位置，即可同时查看两个结果在那里的特写。",
    "ui_ab_photo": "商品照片",
    "ui_ab_model_a": "模型 A",
    "ui_ab_model_b": "模型 B",
    "ui_ab_run": "对比",
    "ui_ab_click_to_zoom": "点击查看特写",
    "ui_ab_slider": "A（左）/ B（右）",
    "ui_ab_a": "A",
    "ui_ab_b": "B",
    "ui_ab_zoom_a": "A 的特写",
    "ui_ab_zoom_b": "B 的特写",
    "ui_ab_share": "用于分享的对比图",
}
